package io.credpool.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.issuer.CredentialIssuer;
import io.credpool.issuer.HttpApiKeyIssuer;
import io.credpool.issuer.IssuerException;
import io.credpool.issuer.Issuers;
import io.credpool.issuer.ManualIssuer;
import io.credpool.issuer.PostgresRoleIssuer;
import io.credpool.issuer.RedisAclIssuer;
import io.credpool.secrets.SecretValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IssuerConfigTest {
    private static final Path FILE = Path.of("/etc/credpool/credpool.yaml");

    private static CredpoolConfig parse(String yaml) {
        return ConfigLoader.parse(FILE, yaml);
    }

    private static String problemOf(String issuer) {
        String yaml = "credentials:\n  redis-app:\n    issuer: " + issuer + "\ntask_types: {a: {}}\n";
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(ConfigException.class);
        try {
            parse(yaml);
            throw new AssertionError("unreachable");
        } catch (ConfigException e) {
            assertThat(e.problems()).hasSize(1);
            return e.problems().get(0);
        }
    }

    @Test
    void eachKindOfIssuerIsReadWithItsSettings() {
        CredpoolConfig config = parse("""
                credentials:
                  redis-app:
                    issuer: {kind: redis-acl, address: 127.0.0.1:6390, user: app, admin_user: rotator, admin_password_env: REDIS_ADMIN}
                  pg-app:
                    issuer:
                      kind: postgres-role
                      address: db.internal:5432
                      database: app
                      role: app
                      admin_user: rotator
                      admin_password_file: secrets/pg-admin
                      timeout: 10s
                  api-key:
                    issuer: {kind: http-api-key, url: http://127.0.0.1:7392, admin_token_file: /run/demo.token}
                  vendor-token:
                    issuer: {kind: manual}
                  plain: {}
                task_types: {a: {}}
                """);

        IssuerConfig redis = config.credential("redis-app").orElseThrow().issuer().orElseThrow();
        assertThat(redis.kind()).isEqualTo(IssuerKind.REDIS_ACL);
        assertThat(redis.settings()).containsEntry("address", "127.0.0.1:6390").containsEntry("user", "app")
                .containsEntry("admin_password_env", "REDIS_ADMIN");
        assertThat(redis.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(redis.where().toString()).isEqualTo("credpool.yaml:3:13");
        IssuerConfig pg = config.credential("pg-app").orElseThrow().issuer().orElseThrow();
        assertThat(pg.settings()).containsEntry("admin_password_file", "/etc/credpool/secrets/pg-admin");
        assertThat(pg.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.credential("vendor-token").orElseThrow().issuer().orElseThrow().kind()).isEqualTo(IssuerKind.MANUAL);
        assertThat(config.credential("plain").orElseThrow().issuer()).isEmpty();

        Issuers issuers = new Issuers(Map.of("REDIS_ADMIN", "x")::get, ManualIssuer.Confirmation.NOBODY);
        assertThat(issuers.open(config, "redis-app")).get().isInstanceOf(RedisAclIssuer.class);
        assertThat(issuers.open(config, "pg-app")).get().isInstanceOf(PostgresRoleIssuer.class);
        assertThat(issuers.open(config, "api-key")).get().isInstanceOf(HttpApiKeyIssuer.class);
        assertThat(issuers.open(config, "vendor-token")).get().isInstanceOf(ManualIssuer.class);
        assertThat(issuers.open(config, "plain")).isEmpty();
        assertThat(issuers.open(config, "unknown")).isEmpty();
    }

    @Test
    void anUnknownKindNamesTheKnownOnes() {
        assertThat(problemOf("{kind: mysql}")).isEqualTo("credpool.yaml:3:20: credentials.redis-app.issuer.kind: unknown issuer kind"
                + " 'mysql'; expected one of redis-acl, postgres-role, http-api-key, manual");
        assertThat(problemOf("{address: 127.0.0.1:6379}")).isEqualTo("credpool.yaml:3:13: credentials.redis-app.issuer.kind: missing;"
                + " one of redis-acl, postgres-role, http-api-key, manual");
        assertThat(problemOf("redis")).isEqualTo("credpool.yaml:3:13: credentials.redis-app.issuer: expected a mapping with a kind"
                + " (redis-acl, postgres-role, http-api-key, manual) and its settings");
    }

    @Test
    void anAdminPasswordWrittenInTheConfigIsRefusedAndTheAlternativesNamed() {
        assertThat(problemOf("{kind: redis-acl, address: 127.0.0.1:6379, user: app, admin_password: hunter2}"))
                .isEqualTo("credpool.yaml:3:83: credentials.redis-app.issuer.admin_password: an issuer's admin credentials never go"
                        + " in credpool.yaml; name an environment variable or a file instead (admin_password_env, admin_password_file)")
                .doesNotContain("hunter2");
    }

    @Test
    void missingAndMalformedSettingsAreReportedWhereTheyAre() {
        assertThat(problemOf("{kind: redis-acl, user: app}"))
                .isEqualTo("credpool.yaml:3:13: credentials.redis-app.issuer.address: missing; a redis-acl issuer needs it");
        assertThat(problemOf("{kind: redis-acl, address: localhost, user: app}"))
                .isEqualTo("credpool.yaml:3:40: credentials.redis-app.issuer.address: 'localhost' is not host:port, e.g. 127.0.0.1:6379");
        assertThat(problemOf("{kind: redis-acl, address: 'h:70000', user: app}"))
                .isEqualTo("credpool.yaml:3:40: credentials.redis-app.issuer.address: port 70000 is not between 1 and 65535");
        assertThat(problemOf("{kind: postgres-role, address: 'h:5432', database: app, role: App-Role, admin_user: x}"))
                .isEqualTo("credpool.yaml:3:75: credentials.redis-app.issuer.role: 'App-Role' is not a role base name (lower case"
                        + " letters, digits and '_', at most 61; _a and _b are added)");
        assertThat(problemOf("{kind: http-api-key, url: 'ftp://x', admin_token_env: T}")).isEqualTo(
                "credpool.yaml:3:39: credentials.redis-app.issuer.url: 'ftp://x' is not an http(s) URL");
        assertThat(problemOf("{kind: http-api-key, url: 'http://x'}")).isEqualTo("credpool.yaml:3:13: credentials.redis-app.issuer:"
                + " an http-api-key issuer needs its admin token: set admin_token_file (or admin_token_env)");
        assertThat(problemOf("{kind: redis-acl, address: 'h:1', user: app, admin_password_env: 1X}")).isEqualTo(
                "credpool.yaml:3:78: credentials.redis-app.issuer.admin_password_env: '1X' is not an environment variable name");
        assertThat(problemOf("{kind: redis-acl, address: 'h:1', user: app, timeout: 0s}")).isEqualTo(
                "credpool.yaml:3:67: credentials.redis-app.issuer.timeout: must be longer than zero");
    }

    @Test
    void keysOfAnotherKindAndBothEnvAndFileAreRefused() {
        assertThat(problemOf("{kind: manual, url: 'http://x'}")).isEqualTo("credpool.yaml:3:33: credentials.redis-app.issuer: unknown"
                + " key 'url' for kind manual; known keys are kind, timeout");
        assertThat(problemOf("{kind: redis-acl, address: 'h:1', user: app, admin_password_env: A, admin_password_file: f}"))
                .isEqualTo("credpool.yaml:3:102: credentials.redis-app.issuer: set admin_password_env or admin_password_file, not both");
    }

    @Test
    void aMissingAdminSecretIsAnErrorNamingTheVariableAndWhereItWasConfigured() {
        CredpoolConfig config = parse("credentials:\n  redis-app:\n    issuer: {kind: redis-acl, address: '127.0.0.1:1', user: app,"
                + " admin_password_env: REDIS_ADMIN}\ntask_types: {a: {}}\n");
        CredentialIssuer issuer = new Issuers(name -> null, ManualIssuer.Confirmation.NOBODY).open(config, "redis-app").orElseThrow();
        SecretValue v = SecretValue.of("redis-app", "v", "some-password".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> issuer.create("redis-app", "rot-1", v, Optional.empty()))
                .isInstanceOfSatisfying(IssuerException.class, e -> {
                    assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
                    assertThat(e.getMessage()).isEqualTo("credential 'redis-app': the issuer's admin password comes from environment"
                            + " variable REDIS_ADMIN (credpool.yaml:3:13), which is not set; set it in credpool's environment");
                });
    }
}
