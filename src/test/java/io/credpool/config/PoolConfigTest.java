package io.credpool.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PoolConfigTest {
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
    void aPoolAndCredentialSettingsLoad() {
        CredpoolConfig config = parse("""
                credentials:
                  npm-token:
                    rotation: {every: 30d}
                  sts-token: {short_lived: true}
                task_types:
                  build:
                    pool: {size: 4, max_age: 15m}
                    credentials:
                      - {name: npm-token, env: NPM_TOKEN, scope: pool}
                  lint:
                    pool: {size: 1}
                  test: {}
                """);
        TaskType build = config.taskType("build").orElseThrow();
        assertThat(build.pool()).map(PoolSettings::size).contains(4);
        assertThat(build.pool()).map(PoolSettings::maxAge).contains(Duration.ofMinutes(15));
        assertThat(config.taskType("lint").orElseThrow().pool()).map(PoolSettings::maxAge).contains(PoolSettings.DEFAULT_MAX_AGE);
        assertThat(config.taskType("test").orElseThrow().pool()).isEmpty();
        assertThat(config.credential("npm-token").orElseThrow().rotationEvery()).contains(Duration.ofDays(30));
        assertThat(config.credential("sts-token").orElseThrow().shortLived()).isTrue();
        assertThat(config.credential("sts-token").orElseThrow().rotationEvery()).isEqualTo(Optional.empty());
    }

    @Test
    void aPoolWithoutASizeIsRefused() {
        assertThat(problemOf("task_types:\n  build:\n    pool: {max_age: 5m}\n"))
                .isEqualTo("credpool.yaml:3:11: task_types.build.pool.size: missing; say how many warm sandboxes to keep, e.g. size: 4");
    }

    @Test
    void aPoolSizeOutOfRangeIsRefusedAtItsValue() {
        assertThat(problemOf("task_types:\n  build:\n    pool: {size: 0}\n"))
                .isEqualTo("credpool.yaml:3:18: task_types.build.pool.size: expected a whole number from 1 to 64, not 0");
        assertThat(problemOf("task_types:\n  build:\n    pool: {size: many}\n"))
                .isEqualTo("credpool.yaml:3:18: task_types.build.pool.size: expected a whole number from 1 to 64, not 'many'");
    }

    @Test
    void aBadMaxAgeAndUnknownPoolKeysAreRefused() {
        assertThat(problemOf("task_types:\n  build:\n    pool: {size: 2, max_age: soon}\n"))
                .isEqualTo("credpool.yaml:3:30: task_types.build.pool.max_age: 'soon' is not a duration;"
                        + " write a number and a unit, e.g. 500ms, 30s, 10m, 2h, 30d");
        assertThat(problemOf("task_types:\n  build:\n    pool: {size: 2, warm: yes}\n"))
                .isEqualTo("credpool.yaml:3:21: task_types.build.pool: unknown key 'warm'; known keys are max_age, size");
    }

    @Test
    void unknownCredentialSettingsAreRefused() {
        assertThat(problemOf("credentials:\n  npm-token: {rotate: 1d}\ntask_types: {a: {}}\n"))
                .isEqualTo("credpool.yaml:2:15: credentials.npm-token: unknown key 'rotate'; known keys are issuer, provider, rotation, short_lived");
        assertThat(problemOf("credentials:\n  npm-token: {rotation: {}}\ntask_types: {a: {}}\n"))
                .isEqualTo("credpool.yaml:2:25: credentials.npm-token.rotation.every: missing; say how often it rotates, e.g. every: 30d");
        assertThat(problemOf("credentials: [a]\ntask_types: {a: {}}\n"))
                .isEqualTo("credpool.yaml:1:14: credentials: expected a mapping of credential names to their settings");
    }

    @Test
    void poolScopeOnACredentialThatRotatesFasterThanMembersLiveIsAnError() {
        assertThat(problemOf("""
                credentials:
                  llm-key:
                    rotation: {every: 5m}
                task_types:
                  agent:
                    pool: {size: 2, max_age: 10m}
                    credentials:
                      - {name: llm-key, env: LLM_KEY, scope: pool}
                """)).isEqualTo("credpool.yaml:8:46: task_types.agent.credentials[0].scope: credential 'llm-key' rotates every 5m"
                + " (credpool.yaml:2:3), more often than pool members live (max_age 10m at credpool.yaml:6:11):"
                + " every rotation would make the whole pool stale at once; use scope: task, or set max_age to 5m or less");
    }

    @Test
    void poolScopeOnAShortLivedCredentialIsAnError() {
        assertThat(problemOf("""
                credentials:
                  sts: {short_lived: true}
                task_types:
                  deploy:
                    credentials:
                      - name: sts
                        env: AWS_SESSION_TOKEN
                        scope: pool
                """)).isEqualTo("credpool.yaml:8:16: task_types.deploy.credentials[0].scope: credential 'sts' is short-lived"
                + " (credpool.yaml:2:3) and cannot be baked into pool members; use scope: task");
    }

    @Test
    void taskScopeOnAFrequentlyRotatingCredentialIsFine() {
        CredpoolConfig config = parse("""
                credentials:
                  llm-key: {rotation: {every: 5m}, short_lived: true}
                task_types:
                  agent:
                    pool: {size: 2, max_age: 10m}
                    credentials:
                      - {name: llm-key, env: LLM_KEY, scope: task}
                """);
        assertThat(config.taskType("agent")).isPresent();
    }
}
