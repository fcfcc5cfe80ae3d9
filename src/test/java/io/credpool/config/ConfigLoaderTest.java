package io.credpool.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
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
    void aTaskTypeWithCredentialsLoadsWithDefaults() {
        CredpoolConfig config = parse("""
                defaults:
                  timeout: 2m
                task_types:
                  build:
                    description: CI build
                    credentials:
                      - {name: github-token, env: GITHUB_TOKEN, scope: task}
                      - name: npm-token
                        env: NPM_TOKEN
                        scope: session
                  test: {}
                """);
        TaskType build = config.taskType("build").orElseThrow();
        assertThat(build.description()).isEqualTo("CI build");
        assertThat(build.sandbox()).isEqualTo(SandboxChoice.AUTO);
        assertThat(build.network()).isFalse();
        assertThat(build.timeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(build.credentials()).extracting(CredentialRef::name, CredentialRef::env, CredentialRef::scope)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("github-token", "GITHUB_TOKEN", Scope.TASK),
                        org.assertj.core.groups.Tuple.tuple("npm-token", "NPM_TOKEN", Scope.SESSION));
        assertThat(build.credentials().get(1).where().line()).isEqualTo(8);
        assertThat(config.taskType("test").orElseThrow().credentials()).isEmpty();
    }

    @Test
    void scopeDefaultsToTask() {
        TaskType t = parse("task_types:\n  a:\n    credentials: [{name: k, env: K}]\n").taskType("a").orElseThrow();
        assertThat(t.credentials().get(0).scope()).isEqualTo(Scope.TASK);
    }

    @Test
    void unknownKeyIsReportedWithFileLineAndKnownKeys() {
        assertThat(problemOf("""
                task_types:
                  build:
                    credentails: []
                """)).isEqualTo("credpool.yaml:3:5: task_types.build: unknown key 'credentails'; known keys are "
                + "allow_unsandboxed, credentials, description, network, pool, sandbox, timeout");
    }

    @Test
    void unknownScopeIsReportedAtItsLine() {
        assertThat(problemOf("""
                task_types:
                  build:
                    credentials:
                      - name: github-token
                        env: GITHUB_TOKEN
                        scope: global
                """)).isEqualTo("credpool.yaml:6:16: task_types.build.credentials[0].scope: unknown scope 'global'; "
                + "expected one of task, session, pool");
    }

    @Test
    void duplicateEnvNamesAreRefused() {
        assertThat(problemOf("""
                task_types:
                  build:
                    credentials:
                      - {name: a, env: TOKEN}
                      - {name: b, env: TOKEN}
                """)).isEqualTo("credpool.yaml:5:24: task_types.build.credentials[1].env: TOKEN is already used by "
                + "another credential of this task type at line 4");
    }

    @Test
    void theSameCredentialTwiceInOneTypeIsRefused() {
        assertThat(problemOf("""
                task_types:
                  build:
                    credentials:
                      - {name: a, env: A}
                      - {name: a, env: B}
                """)).isEqualTo("credpool.yaml:5:16: task_types.build.credentials[1].name: credential 'a' is already "
                + "declared by this task type at line 4");
    }

    @Test
    void reservedAndMalformedEnvNamesAreRefused() {
        assertThat(problemOf("task_types:\n  b:\n    credentials: [{name: a, env: LD_PRELOAD}]\n"))
                .isEqualTo("credpool.yaml:3:34: task_types.b.credentials[0].env: LD_PRELOAD is reserved "
                        + "(the sandbox sets it, or it changes what runs); choose another name");
        assertThat(problemOf("task_types:\n  b:\n    credentials: [{name: a, env: 1X}]\n"))
                .isEqualTo("credpool.yaml:3:34: task_types.b.credentials[0].env: '1X' is not an environment variable "
                        + "name (letters, digits and '_', not starting with a digit)");
    }

    @Test
    void missingFieldsAreNamed() {
        assertThat(problemOf("task_types:\n  b:\n    credentials:\n      - {env: A}\n"))
                .isEqualTo("credpool.yaml:4:9: task_types.b.credentials[0].name: missing");
    }

    @Test
    void malformedYamlGivesTheLineOfTheSyntaxError() {
        assertThat(problemOf("task_types:\n  build:\n    credentials: [\n"))
                .startsWith("credpool.yaml:4:1: not valid YAML: ");
    }

    @Test
    void duplicateKeysAreRefused() {
        assertThat(problemOf("task_types:\n  a: {}\n  a: {}\n"))
                .isEqualTo("credpool.yaml:3:3: task_types: duplicate key 'a' (first at line 2)");
    }

    @Test
    void badValuesAreReportedEachWithItsPlace() {
        assertThatThrownBy(() -> parse("""
                task_types:
                  a:
                    timeout: soon
                    network: maybe
                    sandbox: docker
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessage("""
                        3 problems in the config:
                          credpool.yaml:5:14: task_types.a.sandbox: unknown sandbox 'docker'; expected one of auto, bubblewrap, unshare, unsandboxed, microvm
                          credpool.yaml:4:14: task_types.a.network: expected true or false, not 'maybe'
                          credpool.yaml:3:14: task_types.a.timeout: 'soon' is not a duration; write a number and a unit, e.g. 500ms, 30s, 10m, 2h, 30d""");
    }

    @Test
    void unsandboxedNeedsAnExplicitAllowance() {
        assertThat(problemOf("task_types:\n  a:\n    sandbox: unsandboxed\n"))
                .isEqualTo("credpool.yaml:3:14: task_types.a.sandbox: 'unsandboxed' runs the task with no isolation; "
                        + "set allow_unsandboxed: true on this task type if that is really meant");
        assertThat(parse("task_types:\n  a:\n    sandbox: unsandboxed\n    allow_unsandboxed: true\n")
                .taskType("a").orElseThrow().sandbox()).isEqualTo(SandboxChoice.UNSANDBOXED);
    }

    @Test
    void emptyConfigAndMissingTaskTypesAreRefused() {
        assertThat(problemOf("")).isEqualTo("credpool.yaml: the config is empty; it needs at least `task_types:`");
        assertThat(problemOf("version: 1\n")).isEqualTo("credpool.yaml:1:1: task_types: missing; declare at least one task type");
    }

    @Test
    void aMissingFileSaysHowToCreateOne() {
        assertThatThrownBy(() -> ConfigLoader.load(Path.of("/nonexistent/credpool.yaml")))
                .hasMessage("/nonexistent/credpool.yaml: no such config file; create one with `credpool init` or pass --config FILE");
    }
}
