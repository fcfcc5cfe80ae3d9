package io.credpool.secrets.github;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.credpool.secrets.Label;
import io.credpool.secrets.ProviderUnavailableException;
import io.credpool.secrets.RetryPolicy;
import io.credpool.secrets.SecretNotFoundException;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.github.GitHubActionsSecretsProvider.Target;
import io.credpool.testing.LogCapture;
import io.credpool.testing.MockHttpServer;
import io.credpool.testing.MockHttpServer.Reply;
import io.credpool.testing.MockHttpServer.Request;
import io.credpool.testing.MutableClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GitHub Actions secrets: reads from the workflow's environment, writes sealed boxes to the REST API. */
class GitHubActionsSecretsProviderTest {
    private static final String VALUE = "npm_R0tated-t0ken-value";
    private static final ObjectMapper JSON = new ObjectMapper();

    MockHttpServer github;
    X25519PrivateKeyParameters repoKey = new X25519PrivateKeyParameters(new SecureRandom());
    List<Duration> pauses = new ArrayList<>();
    List<String> messages = new ArrayList<>();
    LogCapture logs;

    @BeforeEach
    void setUp() throws Exception {
        github = new MockHttpServer();
        logs = new LogCapture();
    }

    @AfterEach
    void tearDown() {
        github.close();
        assertThat(logs.text()).doesNotContain(VALUE);
        assertThat(String.join("\n", messages)).doesNotContain(VALUE);
        logs.close();
    }

    private GitHubActionsSecretsProvider provider(Target target, Map<String, String> environment, URI api) {
        var settings = new GitHubActionsSecretsProvider.Settings("gh", api, target, Map.of("npm-token", "NPM_TOKEN"),
                new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(100)), Duration.ofSeconds(5));
        return new GitHubActionsSecretsProvider(settings, "ghp_writer", environment::get, HttpClient.newHttpClient(),
                new MutableClock(Instant.parse("2025-02-01T12:00:00Z")), new Random(3), pauses::add);
    }

    private GitHubActionsSecretsProvider provider(Target target) {
        return provider(target, Map.of("NPM_TOKEN", VALUE), github.uri());
    }

    // GET .../secrets/public-key, as GitHub documents it.
    private Reply publicKey() {
        return Reply.json(200, "{\"key_id\":\"012345678912345678\",\"key\":\""
                + Base64.getEncoder().encodeToString(repoKey.generatePublicKey().getEncoded()) + "\"}");
    }

    private <T extends Throwable> T failure(Class<T> type, Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            messages.add(t.getMessage());
            assertThat(t).isInstanceOf(type);
            return type.cast(t);
        }
        throw new AssertionError("expected " + type.getSimpleName());
    }

    private String opened(Request put) throws Exception {
        JsonNode body = JSON.readTree(put.body());
        byte[] sealed = Base64.getDecoder().decode(body.path("encrypted_value").asText());
        return new String(SealedBox.open(sealed, repoKey.generatePublicKey().getEncoded(), repoKey.getEncoded()), StandardCharsets.UTF_8);
    }

    @Test
    void currentReadsTheMappedEnvironmentVariable() {
        try (var p = provider(new Target.Repository("acme", "web"))) {
            var v = p.current("npm-token");
            assertThat(v.version()).isEqualTo("env");
            assertThat(new String(v.bytes(), StandardCharsets.UTF_8)).isEqualTo(VALUE);
            assertThat(p.versions("npm-token")).extracting(SecretVersion::versionId).containsExactly("env");
            assertThat(p.list()).extracting(SecretVersion::name).containsExactly("npm-token");
        }
        assertThat(github.requests()).isEmpty();
    }

    @Test
    void anUnsetVariableSaysHowToMapItInTheWorkflow() {
        try (var p = provider(new Target.Repository("acme", "web"), Map.of(), github.uri())) {
            assertThat(failure(SecretNotFoundException.class, () -> p.current("npm-token")).getMessage())
                    .isEqualTo("credential 'npm-token' (GitHub provider 'gh') comes from environment variable NPM_TOKEN,"
                            + " which is not set; map the secret in the workflow: `env: NPM_TOKEN: ${{ secrets.NPM_TOKEN }}`");
            assertThat(p.currentVersionId("npm-token")).isEmpty();
        }
    }

    @Test
    void anUnmappedCredentialSaysWhereToMapIt() {
        try (var p = provider(new Target.Repository("acme", "web"))) {
            assertThat(failure(SecretNotFoundException.class, () -> p.current("other")).getMessage())
                    .isEqualTo("credential 'other' has no environment variable in GitHub provider 'gh'; add `other: VARIABLE`"
                            + " under providers.gh.env");
        }
    }

    @Test
    void aRepositorySecretIsWrittenAsASealedBoxToTheRepositoryKey() throws Exception {
        github.then(publicKey(), new Reply(201, "", Map.of()));
        try (var p = provider(new Target.Repository("acme", "web"))) {
            SecretVersion v = p.put("npm-token", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty());
            assertThat(v.labels()).containsExactly(Label.CURRENT);
            assertThat(v.versionId()).isEqualTo("gh-" + Instant.parse("2025-02-01T12:00:00Z").toEpochMilli());
        }
        List<Request> rs = github.requests();
        assertThat(rs.get(0).method()).isEqualTo("GET");
        assertThat(rs.get(0).pathAndQuery()).isEqualTo("/repos/acme/web/actions/secrets/public-key");
        Request put = rs.get(1);
        assertThat(put.method()).isEqualTo("PUT");
        assertThat(put.pathAndQuery()).isEqualTo("/repos/acme/web/actions/secrets/NPM_TOKEN");
        for (Request r : rs) {
            assertThat(r.header("Authorization")).isEqualTo("Bearer ghp_writer");
            assertThat(r.header("Accept")).isEqualTo("application/vnd.github+json");
            assertThat(r.header("X-GitHub-Api-Version")).isEqualTo("2022-11-28");
        }
        JsonNode body = JSON.readTree(put.body());
        assertThat(body.path("key_id").asText()).isEqualTo("012345678912345678");
        assertThat(put.bodyText()).doesNotContain(VALUE);
        assertThat(opened(put)).isEqualTo(VALUE);
    }

    @Test
    void aPendingValueGoesToTheNamePendingSecretOfAnEnvironment() throws Exception {
        github.then(publicKey(), new Reply(204, "", Map.of()));
        try (var p = provider(new Target.Environment("acme", "web", "production"))) {
            p.put("npm-token", VALUE.getBytes(StandardCharsets.UTF_8), Label.PENDING, Optional.empty());
        }
        assertThat(github.requests().get(0).pathAndQuery()).isEqualTo("/repos/acme/web/environments/production/secrets/public-key");
        assertThat(github.last().pathAndQuery()).isEqualTo("/repos/acme/web/environments/production/secrets/NPM_TOKEN_PENDING");
        assertThat(opened(github.last())).isEqualTo(VALUE);
    }

    @Test
    void anOrganizationSecretCarriesItsVisibility() throws Exception {
        github.then(publicKey(), new Reply(204, "", Map.of()));
        try (var p = provider(new Target.Organization("acme", "private"))) {
            p.put("npm-token", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty());
        }
        assertThat(github.requests().get(0).pathAndQuery()).isEqualTo("/orgs/acme/actions/secrets/public-key");
        assertThat(github.last().pathAndQuery()).isEqualTo("/orgs/acme/actions/secrets/NPM_TOKEN");
        assertThat(JSON.readTree(github.last().body()).path("visibility").asText()).isEqualTo("private");
        assertThat(opened(github.last())).isEqualTo(VALUE);
    }

    @Test
    void aBadTokenIsRefusedWithWhatToDo() {
        github.then(Reply.json(401, "{\"message\":\"Bad credentials\",\"documentation_url\":\"https://docs.github.com/rest\",\"status\":\"401\"}"));
        try (var p = provider(new Target.Repository("acme", "web"))) {
            assertThat(failure(ProviderUnavailableException.class,
                    () -> p.put("npm-token", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty())).getMessage())
                    .isEqualTo("GitHub (provider 'gh') rejected the API token when asked to get the public key of repository"
                            + " acme/web for credential 'npm-token' (HTTP 401: Bad credentials): it is expired, revoked or"
                            + " mistyped; give credpool a valid token");
        }
    }

    @Test
    void aTokenWithoutTheSecretsPermissionIsRefused() {
        github.then(publicKey(), Reply.json(403, "{\"message\":\"Resource not accessible by personal access token\",\"status\":\"403\"}"));
        try (var p = provider(new Target.Repository("acme", "web"))) {
            assertThat(failure(ProviderUnavailableException.class,
                    () -> p.put("npm-token", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty())).getMessage())
                    .startsWith("GitHub (provider 'gh') denied the request to write secret NPM_TOKEN of repository acme/web"
                            + " for credential 'npm-token' (HTTP 403: Resource not accessible by personal access token)");
        }
    }

    @Test
    void anUnknownRepositoryIsNotFound() {
        github.then(Reply.json(404, "{\"message\":\"Not Found\",\"status\":\"404\"}"));
        try (var p = provider(new Target.Repository("acme", "nope"))) {
            assertThat(failure(SecretNotFoundException.class,
                    () -> p.put("npm-token", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty())).getMessage())
                    .contains("(HTTP 404): check owner, repo, environment or org, and that the token can see them");
        }
    }

    @Test
    void aRateLimitIsWaitedOutThenTheWriteSucceeds() throws Exception {
        github.then(Reply.json(403, "{\"message\":\"API rate limit exceeded\"}").withHeader("x-ratelimit-remaining", "0"),
                Reply.json(429, "{\"message\":\"You have exceeded a secondary rate limit\"}").withHeader("retry-after", "0"),
                publicKey(), new Reply(204, "", Map.of()));
        try (var p = provider(new Target.Repository("acme", "web"))) {
            p.put("npm-token", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty());
        }
        assertThat(pauses).hasSize(2);
        assertThat(pauses.get(1)).isZero();
        assertThat(opened(github.last())).isEqualTo(VALUE);
    }

    @Test
    void aRateLimitThroughEveryAttemptIsAClearRefusal() {
        Reply limited = Reply.json(429, "{\"message\":\"You have exceeded a secondary rate limit\"}");
        github.then(limited, limited, limited);
        try (var p = provider(new Target.Repository("acme", "web"))) {
            assertThat(failure(ProviderUnavailableException.class,
                    () -> p.put("npm-token", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty())).getMessage())
                    .contains("kept rate limiting the request to get the public key of repository acme/web for credential"
                            + " 'npm-token' (HTTP 429) through 3 attempts");
        }
    }

    @Test
    void githubDownIsRefusedAfterTheRetries() throws Exception {
        URI down;
        try (MockHttpServer s = new MockHttpServer()) {
            down = s.uri();
        }
        try (var p = provider(new Target.Repository("acme", "web"), Map.of(), down)) {
            assertThat(failure(ProviderUnavailableException.class,
                    () -> p.put("npm-token", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty())).getMessage())
                    .startsWith("cannot reach GitHub (provider 'gh') at " + down + " for credential 'npm-token' after 3 attempts");
        }
    }

    @Test
    void aPublicKeyAnswerThatIsNotJsonIsRefused() {
        github.then(Reply.json(200, "<html>proxy login</html>"));
        try (var p = provider(new Target.Repository("acme", "web"))) {
            assertThat(failure(ProviderUnavailableException.class,
                    () -> p.put("npm-token", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty())).getMessage())
                    .contains("with HTTP 200 and a body that is not JSON");
        }
    }

    @Test
    void promoteIsRefusedBecauseGitHubCannotReadValuesBack() {
        try (var p = provider(new Target.Repository("acme", "web"))) {
            assertThat(failure(ProviderUnavailableException.class, () -> p.promote("npm-token", "gh-1", Optional.empty())).getMessage())
                    .contains("write the verified value again as current instead");
        }
    }
}
