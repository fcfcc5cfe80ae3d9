package io.credpool.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.audit.AuditEventKind;
import io.credpool.audit.AuditRecord;
import io.credpool.testing.CollectingSink;
import io.credpool.testing.MockHttpServer;
import io.credpool.testing.MockHttpServer.Reply;
import io.credpool.testing.Sandboxing;
import io.credpool.testing.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A task whose credentials live in two providers: Vault (mocked at the HTTP level) and the embedded store. */
class ExternalProvidersTaskTest {
    private static final String VAULT_VALUE = "vault-Db-s3cret";

    @TempDir
    Path tmp;
    MockHttpServer vault;
    TestHome home;
    Orchestrator orchestrator;

    @BeforeEach
    void setUp() throws Exception {
        Sandboxing.requireBubblewrap();
        vault = new MockHttpServer();
        Path tokenFile = tmp.resolve("vault.token");
        Files.writeString(tokenFile, "hvs.from-a-file\n");
        home = new TestHome(tmp, """
                providers:
                  vault-prod:
                    kind: vault
                    address: %s
                    path_prefix: credpool/
                    token_file: %s
                    retries: 2
                    retry_base_delay: 1ms
                credentials:
                  db-password: {provider: vault-prod}
                task_types:
                  build:
                    credentials:
                      - {name: npm-token, env: NPM_TOKEN}
                      - {name: db-password, env: DB_PASSWORD}
                """.formatted(vault.uri(), tokenFile));
        home.put("npm-token", "npm_embedded-value");
        orchestrator = home.orchestrator();
    }

    @AfterEach
    void tearDown() {
        if (orchestrator != null) {
            orchestrator.close();
        }
        if (home != null) {
            home.close();
        }
        if (vault != null) {
            vault.close();
        }
    }

    @Test
    void eachCredentialComesFromItsOwnProvider() {
        vault.then(Reply.json(200, "{\"data\":{\"ttl\":0,\"renewable\":false}}"),
                Reply.json(200, "{\"data\":{\"current_version\":4,\"custom_metadata\":null,\"versions\":{\"4\":"
                        + "{\"created_time\":\"2025-01-01T00:00:00Z\",\"deletion_time\":\"\",\"destroyed\":false}}}}"),
                Reply.json(200, "{\"data\":{\"data\":{\"value\":\"" + VAULT_VALUE + "\"},\"metadata\":{\"version\":4}}}"));
        CollectingSink out = new CollectingSink();
        TaskResult r = orchestrator.run(TaskRequest.of("build", List.of("sh", "-c",
                "test \"$DB_PASSWORD\" = " + VAULT_VALUE + " && test \"$NPM_TOKEN\" = npm_embedded-value && echo both")), out);
        assertThat(r.exitCode()).isZero();
        assertThat(out.stdout()).isEqualTo("both\n");
        assertThat(r.received()).extracting(ReceivedCredential::name, ReceivedCredential::version).containsExactly(
                org.assertj.core.groups.Tuple.tuple("npm-token", "v1"), org.assertj.core.groups.Tuple.tuple("db-password", "4"));
        assertThat(vault.requests().get(1).header("X-Vault-Token")).isEqualTo("hvs.from-a-file");
    }

    @Test
    void aProviderThatStaysThrottledRefusesTheTaskBeforeAnySandboxStarts() {
        Reply throttled = Reply.json(429, "{\"errors\":[\"rate limit quota exceeded\"]}");
        vault.then(Reply.json(200, "{\"data\":{\"ttl\":0}}"), throttled, throttled);
        assertThatThrownBy(() -> orchestrator.run(TaskRequest.of("build", List.of("true")), new CollectingSink()))
                .isInstanceOf(TaskRefusedException.class)
                .hasMessageContaining("task type 'build' needs credential 'db-password'")
                .hasMessageContaining("kept rate limiting")
                .extracting(e -> ((TaskRefusedException) e).reason()).isEqualTo(TaskRefusedException.Reason.PROVIDER_UNAVAILABLE);
        List<AuditRecord> records = home.credpool().audit().forCredential("db-password", java.util.Optional.empty());
        assertThat(records).extracting(AuditRecord::kind).containsExactly(AuditEventKind.TASK_REFUSED);
        assertThat(home.credpool().audit().latest(10)).extracting(AuditRecord::kind)
                .doesNotContain(AuditEventKind.TASK_STARTED, AuditEventKind.CREDENTIAL_RECEIVED);
    }
}
