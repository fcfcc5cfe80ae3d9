package io.credpool.secrets.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.credpool.secrets.Label;
import io.credpool.secrets.ProviderUnavailableException;
import io.credpool.secrets.RetryPolicy;
import io.credpool.secrets.SecretNotFoundException;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.VersionConflictException;
import io.credpool.testing.LogCapture;
import io.credpool.testing.MockHttpServer;
import io.credpool.testing.MockHttpServer.Reply;
import io.credpool.testing.MockHttpServer.Request;
import io.credpool.testing.MutableClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Vault KV v2 at the protocol level: responses as Vault's HTTP API documents them. */
class VaultKv2ProviderTest {
    private static final String VALUE = "pg-Sup3r-s3cret-value";
    private static final ObjectMapper JSON = new ObjectMapper();

    // GET /v1/auth/token/lookup-self for a dev-server root token: ttl 0, never expires.
    private static final Reply ROOT_LOOKUP = Reply.json(200, """
            {"request_id":"1","lease_id":"","renewable":false,"lease_duration":0,
             "data":{"accessor":"abc","creation_ttl":0,"display_name":"root","expire_time":null,
                     "explicit_max_ttl":0,"id":"hvs.root","policies":["root"],"renewable":false,"ttl":0},
             "wrap_info":null,"warnings":null,"auth":null}""");

    MockHttpServer vault;
    MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
    List<Duration> pauses = new ArrayList<>();
    LogCapture logs;
    List<String> messages = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        vault = new MockHttpServer();
        logs = new LogCapture();
    }

    @AfterEach
    void tearDown() {
        vault.close();
        // Whatever happened in the test, the value appears in no log line and no error message.
        assertThat(logs.text()).doesNotContain(VALUE);
        assertThat(String.join("\n", messages)).doesNotContain(VALUE);
        logs.close();
    }

    private VaultKv2Provider provider(VaultAuth auth) {
        return provider(auth, vault.uri());
    }

    private VaultKv2Provider provider(VaultAuth auth, URI address) {
        var settings = new VaultKv2Provider.Settings("vault-prod", address, Optional.of("team-a"), "secret", "credpool/",
                "value", new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(1)), Duration.ofSeconds(5));
        return new VaultKv2Provider(settings, auth, HttpClient.newHttpClient(), clock, new Random(1), pauses::add);
    }

    private static Reply metadata(int currentVersion, String customMetadata) {
        StringBuilder versions = new StringBuilder();
        for (int v = 1; v <= currentVersion; v++) {
            versions.append(v > 1 ? "," : "").append("\"").append(v).append("\":{\"created_time\":\"2025-01-0").append(v)
                    .append("T10:00:00.123456789Z\",\"deletion_time\":\"\",\"destroyed\":false}");
        }
        return Reply.json(200, """
                {"request_id":"2","lease_id":"","renewable":false,"lease_duration":0,
                 "data":{"cas_required":false,"created_time":"2025-01-01T10:00:00.123456789Z","current_version":%d,
                         "custom_metadata":%s,"delete_version_after":"0s","max_versions":0,"oldest_version":0,
                         "updated_time":"2025-01-03T10:00:00Z","versions":{%s}},
                 "wrap_info":null,"warnings":null,"auth":null}""".formatted(currentVersion, customMetadata, versions));
    }

    private static Reply data(int version, String value) {
        return Reply.json(200, """
                {"request_id":"3","lease_id":"","renewable":false,"lease_duration":0,
                 "data":{"data":{"value":"%s","note":"managed by credpool"},
                         "metadata":{"created_time":"2025-01-02T10:00:00Z","custom_metadata":null,"deletion_time":"",
                                     "destroyed":false,"version":%d}},
                 "wrap_info":null,"warnings":null,"auth":null}""".formatted(value, version));
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

    @Test
    void currentReadsCredpoolsCurrentLabelThenThatVersionWithTokenAndNamespace() {
        vault.then(ROOT_LOOKUP, metadata(3, "{\"credpool-current\":\"2\",\"credpool-pending\":\"3\"}"), data(2, VALUE));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            SecretValue v = p.current("db-password");
            assertThat(v.version()).isEqualTo("2");
            assertThat(new String(v.bytes(), StandardCharsets.UTF_8)).isEqualTo(VALUE);
            assertThat(v.toString()).doesNotContain(VALUE);
        }
        List<Request> rs = vault.requests();
        assertThat(rs).extracting(Request::method, Request::pathAndQuery).containsExactly(
                org.assertj.core.groups.Tuple.tuple("GET", "/v1/auth/token/lookup-self"),
                org.assertj.core.groups.Tuple.tuple("GET", "/v1/secret/metadata/credpool/db-password"),
                org.assertj.core.groups.Tuple.tuple("GET", "/v1/secret/data/credpool/db-password?version=2"));
        for (Request r : rs) {
            assertThat(r.header("X-Vault-Token")).isEqualTo("hvs.root");
            assertThat(r.header("X-Vault-Namespace")).isEqualTo("team-a");
            assertThat(r.header("X-Vault-Request")).isEqualTo("true");
        }
    }

    @Test
    void aSecretWrittenOnlyWithVaultKvPutHasItsNewestVersionCurrent() {
        vault.then(ROOT_LOOKUP, metadata(2, "null"), data(2, VALUE));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            assertThat(p.current("db-password").version()).isEqualTo("2");
        }
    }

    @Test
    void aVersionWrittenOutsideCredpoolAfterItsLastWriteBecomesCurrent() {
        vault.then(ROOT_LOOKUP, metadata(4, "{\"credpool-current\":\"2\",\"credpool-previous\":\"1\"}"));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            assertThat(p.versions("db-password")).extracting(SecretVersion::versionId, SecretVersion::labels).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("4", java.util.Set.of(Label.CURRENT)),
                    org.assertj.core.groups.Tuple.tuple("3", java.util.Set.of()),
                    org.assertj.core.groups.Tuple.tuple("2", java.util.Set.of(Label.PREVIOUS)),
                    org.assertj.core.groups.Tuple.tuple("1", java.util.Set.of()));
        }
    }

    @Test
    void aGivenVersionIsReadWithTheVersionParameter() {
        vault.then(ROOT_LOOKUP, data(1, VALUE));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            assertThat(p.version("db-password", "1").version()).isEqualTo("1");
        }
        assertThat(vault.last().pathAndQuery()).isEqualTo("/v1/secret/data/credpool/db-password?version=1");
    }

    @Test
    void putPendingAppendsWithCheckAndSetAndKeepsLabelsInCustomMetadata() throws Exception {
        vault.then(ROOT_LOOKUP, metadata(2, "{\"credpool-current\":\"2\",\"owner\":\"team-a\"}"),
                Reply.json(200, """
                        {"request_id":"4","data":{"created_time":"2025-01-04T10:00:00Z","custom_metadata":null,
                         "deletion_time":"","destroyed":false,"version":3}}"""),
                new Reply(204, "", java.util.Map.of()));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            SecretVersion v = p.put("db-password", VALUE.getBytes(StandardCharsets.UTF_8), Label.PENDING, Optional.of("2"));
            assertThat(v.versionId()).isEqualTo("3");
            assertThat(v.labels()).containsExactly(Label.PENDING);
        }
        List<Request> rs = vault.requests();
        Request write = rs.get(2);
        assertThat(write.method()).isEqualTo("POST");
        assertThat(write.pathAndQuery()).isEqualTo("/v1/secret/data/credpool/db-password");
        assertThat(write.header("Content-Type")).isEqualTo("application/json");
        assertThat(JSON.readTree(write.body())).isEqualTo(JSON.readTree(
                "{\"options\":{\"cas\":2},\"data\":{\"value\":\"" + VALUE + "\"}}"));
        Request labels = rs.get(3);
        assertThat(labels.method()).isEqualTo("POST");
        assertThat(labels.pathAndQuery()).isEqualTo("/v1/secret/metadata/credpool/db-password");
        assertThat(JSON.readTree(labels.body())).isEqualTo(JSON.readTree(
                "{\"custom_metadata\":{\"credpool-current\":\"2\",\"owner\":\"team-a\",\"credpool-pending\":\"3\"}}"));
    }

    @Test
    void theFirstWriteOfANewSecretUsesCasZero() throws Exception {
        vault.then(ROOT_LOOKUP, Reply.json(404, "{\"errors\":[]}"),
                Reply.json(200, "{\"data\":{\"created_time\":\"2025-01-04T10:00:00Z\",\"version\":1}}"),
                new Reply(204, "", java.util.Map.of()));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            p.put("db-password", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.of(""));
        }
        assertThat(JSON.readTree(vault.requests().get(2).body()).path("options").path("cas").asInt()).isZero();
        assertThat(JSON.readTree(vault.requests().get(3).body())).isEqualTo(JSON.readTree(
                "{\"custom_metadata\":{\"credpool-current\":\"1\"}}"));
    }

    @Test
    void aCheckAndSetMismatchIsAVersionConflict() {
        vault.then(ROOT_LOOKUP, metadata(2, "{\"credpool-current\":\"2\"}"),
                Reply.json(400, "{\"errors\":[\"check-and-set parameter did not match the current version\"]}"),
                metadata(3, "null"));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            VersionConflictException e = failure(VersionConflictException.class,
                    () -> p.put("db-password", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.of("2")));
            assertThat(e.getMessage()).isEqualTo("secret 'db-password' changed under you: expected current version 2"
                    + " but it is 3; read it again and retry");
        }
    }

    @Test
    void anOutdatedExpectedCurrentIsRefusedBeforeWriting() {
        vault.then(ROOT_LOOKUP, metadata(2, "{\"credpool-current\":\"2\"}"));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            failure(VersionConflictException.class,
                    () -> p.put("db-password", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.of("1")));
        }
        assertThat(vault.requests()).noneMatch(r -> r.method().equals("POST"));
    }

    @Test
    void promoteMovesCurrentAndPreviousAndDropsPending() throws Exception {
        vault.then(ROOT_LOOKUP, metadata(3, "{\"credpool-current\":\"2\",\"credpool-pending\":\"3\",\"credpool-previous\":\"1\"}"),
                new Reply(204, "", java.util.Map.of()));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            assertThat(p.promote("db-password", "3", Optional.of("2")).versionId()).isEqualTo("3");
        }
        assertThat(JSON.readTree(vault.last().body())).isEqualTo(JSON.readTree(
                "{\"custom_metadata\":{\"credpool-current\":\"3\",\"credpool-previous\":\"2\"}}"));
    }

    @Test
    void promotingADeletedVersionIsRefused() {
        vault.then(ROOT_LOOKUP, metadata(2, "{\"credpool-current\":\"2\"}"));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            assertThat(failure(SecretNotFoundException.class, () -> p.promote("db-password", "7", Optional.empty())).getMessage())
                    .startsWith("Vault secret secret/data/credpool/db-password has no live version '7'");
        }
    }

    @Test
    void aRenewableTokenIsRenewedOnceTwoThirdsOfItsTtlHavePassed() throws Exception {
        vault.then(Reply.json(200, "{\"data\":{\"renewable\":true,\"ttl\":30,\"policies\":[\"credpool\"]}}"),
                metadata(1, "null"), data(1, VALUE),
                Reply.json(200, """
                        {"auth":{"client_token":"hvs.renewed","policies":["credpool"],"lease_duration":30,"renewable":true}}"""),
                metadata(1, "null"), data(1, VALUE));
        try (var p = provider(new VaultAuth.Token("hvs.first"))) {
            p.current("db-password").wipe();
            clock.advance(Duration.ofSeconds(21));
            p.current("db-password").wipe();
        }
        List<Request> rs = vault.requests();
        assertThat(rs.get(3).method()).isEqualTo("POST");
        assertThat(rs.get(3).pathAndQuery()).isEqualTo("/v1/auth/token/renew-self");
        assertThat(rs.get(3).header("X-Vault-Token")).isEqualTo("hvs.first");
        assertThat(rs.get(4).header("X-Vault-Token")).isEqualTo("hvs.renewed");
    }

    @Test
    void anExpiredTokenIsRefusedWithWhatToDo() {
        vault.then(Reply.json(403, "{\"errors\":[\"permission denied\"]}"));
        try (var p = provider(new VaultAuth.Token("hvs.expired"))) {
            assertThat(failure(ProviderUnavailableException.class, () -> p.current("db-password")).getMessage())
                    .isEqualTo("Vault rejected the token of provider 'vault-prod' (HTTP 403 permission denied): it is"
                            + " expired, revoked or mistyped; give credpool a valid token (e.g. `vault token create`)"
                            + " in its environment variable or file");
        }
    }

    @Test
    void aTokenPastItsExpiryThatCannotBeRenewedIsRefused() {
        vault.then(Reply.json(200, "{\"data\":{\"renewable\":false,\"ttl\":30}}"), metadata(1, "null"), data(1, VALUE));
        try (var p = provider(new VaultAuth.Token("hvs.short"))) {
            p.current("db-password").wipe();
            clock.advance(Duration.ofSeconds(31));
            assertThat(failure(ProviderUnavailableException.class, () -> p.current("db-password")).getMessage())
                    .startsWith("the Vault token of provider 'vault-prod' expired at 2025-01-01T00:00:30Z and cannot be renewed");
        }
    }

    @Test
    void appRoleLogsInAndLogsInAgainWhenTheTokenIsRefused() throws Exception {
        Reply login1 = Reply.json(200, """
                {"auth":{"renewable":true,"lease_duration":1200,"metadata":null,"token_policies":["credpool"],
                 "accessor":"fd6c9a00","client_token":"hvs.approle-1"}}""");
        Reply login2 = Reply.json(200, """
                {"auth":{"renewable":true,"lease_duration":1200,"client_token":"hvs.approle-2"}}""");
        vault.then(login1, Reply.json(403, "{\"errors\":[\"permission denied\"]}"), login2, metadata(1, "null"), data(1, VALUE));
        try (var p = provider(new VaultAuth.AppRole("approle", "role-123", "secret-456"))) {
            assertThat(p.current("db-password").version()).isEqualTo("1");
        }
        List<Request> rs = vault.requests();
        assertThat(rs.get(0).pathAndQuery()).isEqualTo("/v1/auth/approle/login");
        assertThat(rs.get(0).header("X-Vault-Token")).isNull();
        assertThat(JSON.readTree(rs.get(0).body())).isEqualTo(JSON.readTree("{\"role_id\":\"role-123\",\"secret_id\":\"secret-456\"}"));
        assertThat(rs.get(1).header("X-Vault-Token")).isEqualTo("hvs.approle-1");
        assertThat(rs.get(2).pathAndQuery()).isEqualTo("/v1/auth/approle/login");
        assertThat(rs.get(3).header("X-Vault-Token")).isEqualTo("hvs.approle-2");
        assertThat(new VaultAuth.AppRole("approle", "role-123", "secret-456").toString()).doesNotContain("secret-456");
    }

    @Test
    void permissionDeniedNamesTheCredentialAndThePolicyToFix() {
        vault.then(ROOT_LOOKUP, Reply.json(403, "{\"errors\":[\"1 error occurred:\\n\\t* permission denied\\n\\n\"]}"));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            ProviderUnavailableException e = failure(ProviderUnavailableException.class, () -> p.current("db-password"));
            assertThat(e.credential()).isEqualTo("db-password");
            assertThat(e.getMessage()).startsWith("Vault (provider 'vault-prod') denied the request to read the metadata of"
                    + " Vault secret secret/data/credpool/db-password for credential 'db-password' (HTTP 403: 1 error occurred:")
                    .endsWith("the token's policy must allow it on that path, or the token has expired or been revoked");
        }
    }

    @Test
    void anUnknownSecretIsNotFoundWithTheCommandToCreateIt() {
        vault.then(ROOT_LOOKUP, Reply.json(404, "{\"errors\":[]}"), Reply.json(404, "{\"errors\":[]}"));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            assertThat(failure(SecretNotFoundException.class, () -> p.current("db-password")).getMessage())
                    .isEqualTo("credential 'db-password' is not in Vault (provider 'vault-prod'): nothing at"
                            + " secret/data/credpool/db-password; write it with"
                            + " `vault kv put -mount=secret credpool/db-password value=...`");
            assertThat(p.currentVersionId("db-password")).isEmpty();
        }
    }

    @Test
    void throttlingIsRetriedWithJitteredBackoffThenSucceeds() {
        Reply throttled = Reply.json(429, "{\"errors\":[\"request path \\\"secret/data/credpool/db-password\\\": rate limit quota exceeded\"]}");
        vault.then(ROOT_LOOKUP, throttled, throttled, metadata(1, "null"), data(1, VALUE));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            assertThat(p.current("db-password").version()).isEqualTo("1");
        }
        // Equal jitter: the n-th pause lies in [cap/2, cap] with cap = 100ms * 2^(n-1).
        assertThat(pauses).hasSize(2);
        assertThat(pauses.get(0).toMillis()).isBetween(50L, 100L);
        assertThat(pauses.get(1).toMillis()).isBetween(100L, 200L);
    }

    @Test
    void throttlingThroughEveryAttemptIsAClearRefusal() {
        Reply throttled = Reply.json(429, "{\"errors\":[\"rate limit quota exceeded\"]}");
        vault.then(ROOT_LOOKUP, throttled, throttled, throttled);
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            assertThat(failure(ProviderUnavailableException.class, () -> p.current("db-password")).getMessage())
                    .isEqualTo("Vault (provider 'vault-prod') kept rate limiting the request to read the metadata of Vault"
                            + " secret secret/data/credpool/db-password for credential 'db-password' (HTTP 429) through 3"
                            + " attempts; try again later or raise the rate limit quota");
        }
        assertThat(vault.requests()).hasSize(4);
    }

    @Test
    void aSealedVaultIsRetriedThenRefused() {
        Reply sealed = Reply.json(503, "{\"errors\":[\"Vault is sealed\"]}");
        vault.then(ROOT_LOOKUP, sealed, sealed, sealed);
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            assertThat(failure(ProviderUnavailableException.class, () -> p.current("db-password")).getMessage())
                    .contains("is unavailable (HTTP 503: sealed, in standby or in maintenance)")
                    .contains("through 3 attempts; unseal it or point `address` at the active node");
        }
    }

    @Test
    void aServerThatIsDownIsRefusedAfterTheRetries() throws Exception {
        URI down;
        try (MockHttpServer s = new MockHttpServer()) {
            down = s.uri();
        }
        try (var p = provider(new VaultAuth.Token("hvs.root"), down)) {
            ProviderUnavailableException e = failure(ProviderUnavailableException.class, () -> p.current("db-password"));
            assertThat(e.getMessage()).startsWith("cannot reach Vault (provider 'vault-prod') at " + down
                    + " for credential 'db-password' after 3 attempts (ConnectException");
        }
        assertThat(pauses).hasSize(2);
    }

    @Test
    void malformedJsonIsRefusedWithoutQuotingTheBody() {
        vault.then(ROOT_LOOKUP, metadata(1, "null"),
                Reply.json(200, "{\"data\":{\"data\":{\"value\":\"" + VALUE + "\"}, \"metadata\": {"));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            ProviderUnavailableException e = failure(ProviderUnavailableException.class, () -> p.current("db-password"));
            assertThat(e.getMessage()).contains("with HTTP 200 and a body that is not what Vault's KV v2 API documents (not JSON");
            assertThat(e.getCause()).isNull();
        }
    }

    @Test
    void aSecretWithoutTheValueFieldSaysWhichFieldIsExpected() {
        vault.then(ROOT_LOOKUP, metadata(1, "null"), Reply.json(200, "{\"data\":{\"data\":{\"password\":\"x\"},\"metadata\":{\"version\":1}}}"));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            assertThat(failure(SecretNotFoundException.class, () -> p.current("db-password")).getMessage())
                    .contains("has no text field 'value' in its data");
        }
    }

    @Test
    void listReadsTheKeysUnderThePrefix() {
        vault.then(ROOT_LOOKUP, Reply.json(200, "{\"data\":{\"keys\":[\"db-password\",\"team/\"]}}"), metadata(1, "null"));
        try (var p = provider(new VaultAuth.Token("hvs.root"))) {
            assertThat(p.list()).extracting(SecretVersion::name).containsExactly("db-password");
        }
        assertThat(vault.requests().get(1).method()).isEqualTo("LIST");
        assertThat(vault.requests().get(1).pathAndQuery()).isEqualTo("/v1/secret/metadata/credpool/");
    }
}
