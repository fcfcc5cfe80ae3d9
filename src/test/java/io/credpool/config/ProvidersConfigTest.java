package io.credpool.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The providers: and credentials: sections, and provider: on a credential reference. */
class ProvidersConfigTest {
    private static final Path FILE = Path.of("/etc/credpool/credpool.yaml");

    private static CredpoolConfig parse(String yaml) {
        return ConfigLoader.parse(FILE, yaml);
    }

    private static String problemOf(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            assertThat(e.problems()).hasSize(1);
            return e.problems().get(0);
        }
        throw new AssertionError("expected a config error");
    }

    @Test
    void credentialsAreRoutedByTheCredentialsSectionOrTheReference() {
        CredpoolConfig c = parse("""
                providers:
                  vault-prod:
                    kind: vault
                    address: https://vault.example.com:8200
                    namespace: team-a
                    mount: secret
                    path_prefix: credpool/
                    cache_ttl: 15s
                  aws-prod: {kind: aws, region: eu-west-1}
                  gh: {kind: github, owner: acme, repo: web, env: {npm-token: NPM_TOKEN}}
                credentials:
                  db-password: {provider: vault-prod}
                task_types:
                  build:
                    credentials:
                      - {name: db-password, env: DB_PASSWORD}
                      - {name: deploy-key, env: DEPLOY_KEY, provider: aws-prod}
                      - {name: npm-token, env: NPM_TOKEN, provider: gh}
                      - {name: local, env: LOCAL}
                """);
        assertThat(c.providerOf("db-password")).isEqualTo("vault-prod");
        assertThat(c.providerOf("deploy-key")).isEqualTo("aws-prod");
        assertThat(c.providerOf("npm-token")).isEqualTo("gh");
        assertThat(c.providerOf("local")).isEqualTo("embedded");
        ProviderConfig vault = c.providers().get("vault-prod");
        assertThat(vault.kind()).isEqualTo(ProviderKind.VAULT);
        assertThat(vault.setting("namespace")).contains("team-a");
        assertThat(vault.cacheTtl()).isEqualTo(Duration.ofSeconds(15));
        assertThat(vault.maxAttempts()).isEqualTo(4);
        assertThat(vault.where().line()).isEqualTo(3);
        assertThat(c.providers().get("gh").env()).containsEntry("npm-token", "NPM_TOKEN");
    }

    @Test
    void anUnknownProviderOnAReferenceIsReportedAtItsLine() {
        assertThat(problemOf("""
                providers:
                  vault-prod: {kind: vault, address: http://127.0.0.1:8200}
                task_types:
                  build:
                    credentials:
                      - {name: db-password, env: DB_PASSWORD, provider: vault-staging}
                """)).isEqualTo("credpool.yaml:6:9: task_types.build.credentials[0].provider: unknown provider 'vault-staging';"
                + " known providers: embedded, vault-prod (define it under providers:)");
    }

    @Test
    void anUnknownProviderInTheCredentialsSectionIsReportedAtItsLine() {
        assertThat(problemOf("""
                credentials:
                  db-password:
                    provider: vault
                task_types: {build: {}}
                """)).isEqualTo("credpool.yaml:3:15: credentials.db-password.provider: unknown provider 'vault';"
                + " known providers: embedded (define it under providers:)");
    }

    @Test
    void aCredentialCannotLiveInTwoProviders() {
        assertThat(problemOf("""
                providers:
                  a: {kind: aws, region: eu-west-1}
                  b: {kind: aws, region: us-east-1}
                credentials:
                  db-password: {provider: a}
                task_types:
                  build:
                    credentials:
                      - {name: db-password, env: DB_PASSWORD, provider: b}
                """)).isEqualTo("credpool.yaml:9:9: task_types.build.credentials[0].provider: credential 'db-password' is"
                + " already in provider 'a' (credpool.yaml:5:27); a credential lives in one provider");
    }

    @Test
    void aMissingRequiredSettingIsReported() {
        assertThat(problemOf("""
                providers:
                  vault-prod:
                    kind: vault
                    mount: secret
                task_types: {build: {}}
                """)).isEqualTo("credpool.yaml:3:5: providers.vault-prod.address: missing; a vault provider needs it");
    }

    @Test
    void aProvidersOwnTokenInTheConfigIsRefused() {
        assertThat(problemOf("""
                providers:
                  vault-prod:
                    kind: vault
                    address: http://127.0.0.1:8200
                    token: hvs.do-not-commit-me
                task_types: {build: {}}
                """)).isEqualTo("credpool.yaml:5:12: providers.vault-prod.token: a provider's own credentials never go in"
                + " credpool.yaml; name an environment variable or a file instead (role_id_env, secret_id_env,"
                + " secret_id_file, token_env, token_file)");
    }

    @Test
    void anUnknownKindOrKeyIsReported() {
        assertThat(problemOf("""
                providers:
                  p: {kind: consul}
                task_types: {build: {}}
                """)).isEqualTo("credpool.yaml:2:13: providers.p.kind: unknown provider kind 'consul'; expected one of"
                + " embedded, vault, aws, github");
        assertThat(problemOf("""
                providers:
                  p: {kind: aws, region: eu-west-1, adress: x}
                task_types: {build: {}}
                """)).isEqualTo("credpool.yaml:2:45: providers.p: unknown key 'adress' for kind aws; known keys are"
                + " cache_ttl, endpoint, kind, name_prefix, region, retries, retry_base_delay, timeout");
    }

    @Test
    void badSettingValuesAreReportedAtTheirLines() {
        assertThat(problemOf("""
                providers:
                  v: {kind: vault, address: vault.example.com}
                task_types: {build: {}}
                """)).isEqualTo("credpool.yaml:2:29: providers.v.address: 'vault.example.com' is not an http(s) URL");
        assertThat(problemOf("""
                providers:
                  v: {kind: vault, address: http://v:8200, retries: 0}
                task_types: {build: {}}
                """)).isEqualTo("credpool.yaml:2:53: providers.v.retries: expected the number of attempts, 1 to 10, not '0'");
        assertThat(problemOf("""
                providers:
                  g: {kind: github, owner: acme}
                task_types: {build: {}}
                """)).isEqualTo("credpool.yaml:2:6: providers.g: set either owner and repo (repository or environment"
                + " secrets) or org (organization secrets)");
        assertThat(problemOf("""
                providers:
                  g: {kind: github, org: acme, env: {npm-token: GITHUB_NPM}}
                task_types: {build: {}}
                """)).isEqualTo("credpool.yaml:2:49: providers.g.env.npm-token: 'GITHUB_NPM' cannot name a GitHub secret"
                + " (letters, digits and '_', not starting with a digit or GITHUB_)");
    }

    @Test
    void embeddedCannotBeRedefinedButCanBeNamed() {
        assertThat(problemOf("""
                providers:
                  embedded: {kind: aws, region: eu-west-1}
                task_types: {build: {}}
                """)).startsWith("credpool.yaml:2:3: providers.embedded: 'embedded' is the built-in store");
        CredpoolConfig c = parse("task_types:\n  a:\n    credentials: [{name: k, env: K, provider: embedded}]\n");
        assertThat(c.providerOf("k")).isEqualTo("embedded");
        assertThat(c.credentialProviders()).isEmpty();
    }
}
