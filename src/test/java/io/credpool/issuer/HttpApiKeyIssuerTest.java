package io.credpool.issuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.demoservice.DemoService;
import io.credpool.secrets.SecretValue;
import io.credpool.testing.ExternalTools;
import io.credpool.testing.LogCapture;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpApiKeyIssuerTest {
    private static final String ADMIN = "demo-admin-token-0123456789";
    private static DemoService service;

    private final List<String> messages = new ArrayList<>();
    private final List<SecretValue> issued = new ArrayList<>();
    private final String run = java.util.UUID.randomUUID().toString();
    private LogCapture logs;
    private HttpApiKeyIssuer issuer;

    @BeforeAll
    static void startService() {
        service = new DemoService(ADMIN).start("127.0.0.1", 0);
    }

    @AfterAll
    static void stopService() {
        service.close();
    }

    @BeforeEach
    void setUp() {
        logs = new LogCapture();
        issuer = issuer(service.port(), ADMIN);
    }

    @AfterEach
    void noValueWasEverShown() {
        logs.close();
        String all = String.join("\n", messages) + "\n" + logs.text();
        assertThat(all).doesNotContain(ADMIN);
        for (SecretValue v : issued) {
            assertThat(all).doesNotContain(v.asEnvironmentValue());
        }
    }

    @Test
    void createIssuesASecondKeyWhileTheOldOneStillWorks() {
        SecretValue old = create("rot-1");
        SecretValue fresh = create("rot-2");

        assertThat(fresh.sameValueAs(old)).isFalse();
        assertThat(fresh.version()).isEqualTo(run + "-rot-2");
        assertThatCode(() -> issuer.verify("api-key", old)).doesNotThrowAnyException();
        assertThatCode(() -> issuer.verify("api-key", fresh)).doesNotThrowAnyException();
    }

    @Test
    void creatingTwiceForTheSameRotationReturnsTheSameKey() {
        SecretValue once = create("rot-1");
        SecretValue twice = create("rot-1");

        assertThat(twice.sameValueAs(once)).isTrue();
        assertThat(issuer.create("other-credential", run + "-rot-1", proposed(), Optional.empty()).sameValueAs(once)).isFalse();
    }

    @Test
    void verifyIsRejectedForAKeyTheServiceNeverIssued() {
        SecretValue bogus = SecretValue.of("api-key", "v", "cpk_not-a-real-key".getBytes(StandardCharsets.UTF_8));
        issued.add(bogus);

        assertThatThrownBy(() -> issuer.verify("api-key", bogus)).isInstanceOfSatisfying(IssuerException.class, e -> {
            messages.add(e.getMessage());
            assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
            assertThat(e.getMessage()).isEqualTo("credential 'api-key': the API-key service at http://127.0.0.1:" + service.port()
                    + "/ does not accept the key (HTTP 401: unknown or revoked)");
        });
    }

    @Test
    void revokeMakesTheKeyFailWithA401AndRevokingAgainSucceeds() {
        SecretValue old = create("rot-1");
        SecretValue fresh = create("rot-2");

        issuer.revoke("api-key", old);
        issuer.revoke("api-key", old);

        assertThatThrownBy(() -> issuer.verify("api-key", old)).isInstanceOf(IssuerException.class).hasMessageContaining("HTTP 401");
        assertThatCode(() -> issuer.verify("api-key", fresh)).doesNotThrowAnyException();
    }

    @Test
    void revokingAKeyTheServiceNeverKnewSucceeds() {
        SecretValue bogus = SecretValue.of("api-key", "v", "cpk_never-issued".getBytes(StandardCharsets.UTF_8));
        issued.add(bogus);

        assertThatCode(() -> issuer.revoke("api-key", bogus)).doesNotThrowAnyException();
    }

    @Test
    void aServiceThatIsDownIsUnavailableAndTheMessageNamesTheCredential() {
        int port = ExternalTools.freePort();
        HttpApiKeyIssuer down = issuer(port, ADMIN);
        SecretValue some = SecretValue.of("api-key", "v", "cpk_some-key-value".getBytes(StandardCharsets.UTF_8));
        issued.add(some);

        for (Runnable call : List.<Runnable>of(
                () -> down.create("api-key", "rot-1", proposed(), Optional.empty()),
                () -> down.verify("api-key", some),
                () -> down.revoke("api-key", some))) {
            assertThatThrownBy(call::run).isInstanceOfSatisfying(IssuerException.class, e -> {
                messages.add(e.getMessage());
                assertThat(e.kind()).isEqualTo(IssuerException.Kind.UNAVAILABLE);
                assertThat(e.getMessage()).startsWith("credential 'api-key': the API-key service at http://127.0.0.1:" + port
                        + "/ did not answer while ").endsWith("; check that it runs, then retry");
            });
        }
    }

    @Test
    void aWrongAdminTokenIsRejected() {
        HttpApiKeyIssuer wrong = issuer(service.port(), "wrong-admin-token-987654");

        assertThatThrownBy(() -> wrong.create("api-key", "rot-1", proposed(), Optional.empty()))
                .isInstanceOfSatisfying(IssuerException.class, e -> {
                    messages.add(e.getMessage());
                    assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
                    assertThat(e.getMessage()).startsWith("credential 'api-key': the API-key service at http://127.0.0.1:"
                            + service.port() + "/ refused the admin token while creating an API key (HTTP 401: admin token required")
                            .doesNotContain("wrong-admin-token-987654");
                });
    }

    /** Rotation ids unique to each test: the class shares one service, and a key revoked by one test stays revoked. */
    private SecretValue create(String rotationId) {
        SecretValue v = issuer.create("api-key", run + "-" + rotationId, proposed(), Optional.empty());
        issued.add(v);
        return v;
    }

    private static SecretValue proposed() {
        return SecretValue.of("api-key", "v", "ignored-by-this-issuer".getBytes(StandardCharsets.UTF_8));
    }

    private static HttpApiKeyIssuer issuer(int port, String adminToken) {
        return new HttpApiKeyIssuer(new HttpApiKeyIssuer.Settings(URI.create("http://127.0.0.1:" + port),
                RedisAclIssuerTest.fixed(adminToken), Duration.ofSeconds(3)));
    }
}
