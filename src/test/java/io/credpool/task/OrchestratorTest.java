package io.credpool.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.audit.AuditEventKind;
import io.credpool.audit.AuditRecord;
import io.credpool.config.Scope;
import io.credpool.testing.CollectingSink;
import io.credpool.testing.Sandboxing;
import io.credpool.testing.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrchestratorTest {
    private static final String CONFIG = """
            task_types:
              build:
                credentials:
                  - {name: github-token, env: GITHUB_TOKEN, scope: task}
                  - {name: npm-token, env: NPM_TOKEN, scope: task}
              agent:
                credentials:
                  - {name: github-token, env: GITHUB_TOKEN}
                  - {name: llm-key, env: LLM_KEY, scope: session}
              other:
                credentials:
                  - {name: llm-key, env: LLM_KEY, scope: session}
              deploy:
                credentials:
                  - {name: deploy-key, env: DEPLOY_KEY}
              baked:
                credentials:
                  - {name: npm-token, env: NPM_TOKEN, scope: pool}
              slow:
                timeout: 1s
            """;

    @TempDir
    Path tmp;
    TestHome home;
    Orchestrator orchestrator;

    @BeforeEach
    void setUp() throws Exception {
        Sandboxing.requireBubblewrap();
        home = new TestHome(tmp, CONFIG);
        home.put("github-token", "ghp_first-token-value");
        home.put("npm-token", "npm_0123456789abcdef");
        home.put("llm-key", "sk-session-key-value");
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
    }

    private TaskResult run(TaskRequest request, CollectingSink sink) {
        return orchestrator.run(request, sink);
    }

    @Test
    void theTaskSeesExactlyItsDeclaredVariablesAndNothingOfTheHost() {
        CollectingSink out = new CollectingSink();
        TaskResult r = run(TaskRequest.of("build", List.of("sh", "-c", "env | cut -d= -f1 | sort")), out);

        assertThat(r.exitCode()).isZero();
        Set<String> names = new TreeSet<>(Arrays.asList(out.stdout().split("\n")));
        assertThat(names).contains("GITHUB_TOKEN", "NPM_TOKEN")
                .doesNotContain("CREDPOOL_TEST_MARKER", "JAVA_HOME", "USER", "MAVEN_OPTS")
                .isSubsetOf("GITHUB_TOKEN", "NPM_TOKEN", "PATH", "HOME", "PWD", "SHLVL", "_");
        assertThat(r.received()).extracting(ReceivedCredential::name, ReceivedCredential::version)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("github-token", "v1"),
                        org.assertj.core.groups.Tuple.tuple("npm-token", "v1"));
    }

    @Test
    void valuesReachTheTaskExactlyAndItsOutputIsRedacted() {
        CollectingSink out = new CollectingSink();
        TaskResult r = run(TaskRequest.of("build", List.of("sh", "-c",
                "test \"$GITHUB_TOKEN\" = ghp_first-token-value && echo match; echo \"$GITHUB_TOKEN\"; printf %s \"$NPM_TOKEN\" | base64 >&2")), out);

        assertThat(r.exitCode()).isZero();
        assertThat(out.stdout()).isEqualTo("match\n***github-token***\n");
        assertThat(out.stderr()).isEqualTo("***npm-token***\n");
    }

    @Test
    void theTasksExitCodeIsReturnedAndAudited() {
        TaskResult r = run(TaskRequest.of("build", List.of("sh", "-c", "exit 7")), new CollectingSink());

        assertThat(r.exitCode()).isEqualTo(7);
        List<AuditRecord> records = home.credpool().audit().forTask(r.taskId());
        assertThat(records).extracting(AuditRecord::kind).containsExactly(AuditEventKind.TASK_STARTED,
                AuditEventKind.CREDENTIAL_RECEIVED, AuditEventKind.CREDENTIAL_RECEIVED, AuditEventKind.TASK_FINISHED);
        assertThat(records.get(1).credential()).isEqualTo("github-token");
        assertThat(records.get(1).versionId()).isEqualTo("v1");
        assertThat(records.get(1).scope()).isEqualTo("task");
        assertThat(records.get(3).detail()).isEqualTo("exit 7");
    }

    @Test
    void aTaskThatOutlivesItsTimeoutIsKilledAndTheAuditLogSaysSo() {
        TaskResult r = run(TaskRequest.of("slow", List.of("sh", "-c", "sleep 600 & sleep 600")), new CollectingSink());
        assertThat(r.timedOut()).isTrue();
        List<AuditRecord> records = home.credpool().audit().forTask(r.taskId());
        assertThat(records.get(records.size() - 1).detail()).isEqualTo("timed out after 1s");
    }

    @Test
    void aNewVersionIsWhatTheNextTaskReceives() {
        home.put("github-token", "ghp_second-token-value");
        CollectingSink out = new CollectingSink();
        TaskResult r = run(TaskRequest.of("build", List.of("sh", "-c", "test \"$GITHUB_TOKEN\" = ghp_second-token-value")), out);
        assertThat(r.exitCode()).isZero();
        assertThat(r.received().get(0).version()).isEqualTo("v2");
    }

    @Test
    void aTaskCanNarrowItsCredentialsToASubset() {
        CollectingSink out = new CollectingSink();
        TaskResult r = run(TaskRequest.of("build", List.of("sh", "-c", "echo ${NPM_TOKEN:-unset}"))
                .onlyCredentials(Set.of("github-token")), out);
        assertThat(out.stdout()).isEqualTo("unset\n");
        assertThat(r.received()).extracting(ReceivedCredential::name).containsExactly("github-token");
    }

    @Test
    void poolScopeValuesAreBakedIntoTheSandboxAtCreation() {
        CollectingSink out = new CollectingSink();
        TaskResult r = run(TaskRequest.of("baked", List.of("sh", "-c", "test \"$NPM_TOKEN\" = npm_0123456789abcdef")), out);
        assertThat(r.exitCode()).isZero();
        assertThat(r.received().get(0).scope()).isEqualTo(Scope.POOL);
    }

    @Test
    void aWorkspaceIsCopiedInAndWritesDoNotReachTheHost() throws Exception {
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        Files.writeString(ws.resolve("README"), "hello\n");
        CollectingSink out = new CollectingSink();
        TaskResult r = run(TaskRequest.of("build", List.of("sh", "-c", "cat README; echo x > new-file; rm README"))
                .inWorkspace(ws), out);
        assertThat(r.exitCode()).isZero();
        assertThat(out.stdout()).isEqualTo("hello\n");
        assertThat(ws.resolve("README")).exists();
        assertThat(ws.resolve("new-file")).doesNotExist();
    }

    // --- refusals: before any sandbox starts, each with its exact message ---

    @Test
    void anUnknownTaskTypeIsRefused() {
        assertThatThrownBy(() -> run(TaskRequest.of("nightly", List.of("true")), new CollectingSink()))
                .isInstanceOf(TaskRefusedException.class)
                .hasMessage("unknown task type 'nightly'; known task types: agent, baked, build, deploy, other, slow (in "
                        + home.home().config() + ")");
    }

    @Test
    void anUnknownCredentialIsRefusedNamingItAndWhereItWasDeclared() {
        assertThatThrownBy(() -> run(TaskRequest.of("deploy", List.of("true")), new CollectingSink()))
                .isInstanceOf(TaskRefusedException.class)
                .hasMessage("task type 'deploy' needs credential 'deploy-key' (credpool.yaml:15:9): no secret named"
                        + " 'deploy-key' in the embedded store; store one with: printf '%s' \"$VALUE\" | credpool secret put deploy-key")
                .extracting(e -> ((TaskRefusedException) e).reason()).isEqualTo(TaskRefusedException.Reason.UNKNOWN_CREDENTIAL);
        List<AuditRecord> refusals = home.credpool().audit().forCredential("deploy-key", java.util.Optional.empty());
        assertThat(refusals).extracting(AuditRecord::kind).containsExactly(AuditEventKind.TASK_REFUSED);
        assertThat(refusals.get(0).detail()).isEqualTo("unknown_credential");
    }

    @Test
    void aCredentialTheTaskTypeDoesNotDeclareIsRefused() {
        assertThatThrownBy(() -> run(TaskRequest.of("build", List.of("true")).onlyCredentials(Set.of("llm-key")),
                new CollectingSink()))
                .isInstanceOf(TaskRefusedException.class)
                .hasMessage("task type 'build' does not declare credential 'llm-key'; it declares: github-token, npm-token");
    }

    @Test
    void sessionScopeWithoutASessionIsRefused() {
        assertThatThrownBy(() -> run(TaskRequest.of("agent", List.of("true")), new CollectingSink()))
                .isInstanceOf(TaskRefusedException.class)
                .hasMessage("task type 'agent' has session-scope credential 'llm-key'; open a session first"
                        + " (credpool session open --type agent) and run the task with --session ID");
    }

    @Test
    void anUnknownSessionIsRefused() {
        assertThatThrownBy(() -> run(TaskRequest.of("agent", List.of("true")).inSession("s-nope"), new CollectingSink()))
                .isInstanceOf(TaskRefusedException.class)
                .hasMessage("no open session 's-nope'");
    }

    @Test
    void anotherTaskTypesSessionIsRefused() {
        Session s = orchestrator.openSession("other");
        assertThatThrownBy(() -> run(TaskRequest.of("agent", List.of("true")).inSession(s.id()), new CollectingSink()))
                .isInstanceOf(TaskRefusedException.class)
                .hasMessage("session '" + s.id() + "' belongs to task type 'other', not 'agent'");
    }

    @Test
    void aProviderThatIsDownRefusesTheTaskAndNothingIsInjected() {
        home.credpool().database().close();
        assertThatThrownBy(() -> run(TaskRequest.of("build", List.of("true")), new CollectingSink()))
                .isInstanceOf(TaskRefusedException.class)
                .hasMessageStartingWith("task type 'build' needs credential 'github-token' (credpool.yaml:4:9): ")
                .extracting(e -> ((TaskRefusedException) e).reason()).isEqualTo(TaskRefusedException.Reason.PROVIDER_UNAVAILABLE);
    }

    @Test
    void anEmptyCommandIsRefused() {
        assertThatThrownBy(() -> run(TaskRequest.of("build", List.of()), new CollectingSink()))
                .isInstanceOf(TaskRefusedException.class)
                .hasMessage("no command given: say what the task runs, e.g. credpool run --type build -- make test");
    }

    @Test
    void refusalsStartNoSandbox() {
        long before = sandboxProcesses();
        for (String type : List.of("deploy", "agent", "nightly")) {
            assertThatThrownBy(() -> run(TaskRequest.of(type, List.of("sleep", "30")), new CollectingSink()))
                    .isInstanceOf(TaskRefusedException.class);
        }
        assertThat(sandboxProcesses()).isEqualTo(before);
    }

    // --- sessions ---

    @Test
    void aSessionsTasksShareTheValueFetchedAtOpenEvenAfterANewVersion() {
        Session s = orchestrator.openSession("agent");
        home.put("llm-key", "sk-newer-key-value");
        CollectingSink out = new CollectingSink();
        TaskResult r = run(TaskRequest.of("agent", List.of("sh", "-c", "test \"$LLM_KEY\" = sk-session-key-value && echo same"))
                .inSession(s.id()), out);
        assertThat(out.stdout()).isEqualTo("same\n");
        assertThat(r.received()).filteredOn(c -> c.name().equals("llm-key")).extracting(ReceivedCredential::version)
                .containsExactly("v1");
    }

    @Test
    void aClosedSessionCannotBeUsedAndItsValuesAreWiped() {
        Session s = orchestrator.openSession("agent");
        orchestrator.closeSession(s.id());
        assertThat(s.values().values()).allMatch(io.credpool.secrets.SecretValue::isWiped);
        assertThatThrownBy(() -> run(TaskRequest.of("agent", List.of("true")).inSession(s.id()), new CollectingSink()))
                .hasMessage("no open session '" + s.id() + "'");
        assertThatThrownBy(() -> orchestrator.closeSession(s.id())).hasMessage("no open session '" + s.id() + "'");
    }

    @Test
    void closingASessionWhileItsTaskRunsWipesTheValuesOnlyAfterTheTaskEnds() throws Exception {
        Session s = orchestrator.openSession("agent");
        Orchestrator.PreparedTask task = orchestrator.prepare(
                TaskRequest.of("agent", List.of("sh", "-c", "test \"$LLM_KEY\" = sk-session-key-value")).inSession(s.id()));
        orchestrator.closeSession(s.id());
        assertThat(s.values().values()).noneMatch(io.credpool.secrets.SecretValue::isWiped);
        assertThat(task.execute(new CollectingSink()).exitCode()).isZero();
        assertThat(s.values().values()).allMatch(io.credpool.secrets.SecretValue::isWiped);
    }

    @Test
    void openingASessionWithAMissingCredentialIsRefused() {
        home.credpool().database().close();
        assertThatThrownBy(() -> orchestrator.openSession("agent"))
                .isInstanceOf(TaskRefusedException.class)
                .hasMessageStartingWith("task type 'agent' needs credential 'llm-key' (credpool.yaml:9:9): ");
        assertThat(orchestrator.sessions()).isEmpty();
    }

    /** Sandbox processes started by this JVM (other builds on the machine run sandboxes too). */
    private static long sandboxProcesses() {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().map(c -> c.contains("credpool-agent")).orElse(false)).count();
    }
}
