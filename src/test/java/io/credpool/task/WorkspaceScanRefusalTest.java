package io.credpool.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.audit.AuditEventKind;
import io.credpool.audit.AuditRecord;
import io.credpool.secrets.Label;
import io.credpool.testing.CollectingSink;
import io.credpool.testing.Sandboxing;
import io.credpool.testing.TestHome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cases: a workspace holding a secret is refused before any sandbox starts; a clean one runs. */
class WorkspaceScanRefusalTest {
    private static final String CONFIG = """
            task_types:
              build:
                credentials:
                  - {name: github-token, env: GITHUB_TOKEN}
            """;
    private static final String OLD = "ghx-old-value-" + "7f3a9c2e41b8d6";
    private static final String CURRENT = "ghx-current-value-" + "0b9e7d5c3a1f";

    @TempDir
    Path tmp;
    TestHome home;
    Orchestrator orchestrator;
    Path repo;

    @BeforeEach
    void setUp() throws Exception {
        Sandboxing.requireBubblewrap();
        home = new TestHome(tmp, CONFIG);
        home.put("github-token", OLD);
        home.put("github-token", CURRENT);
        // v1 loses its label when v3 is stored: a revoked version, still searched for.
        home.credpool().secrets().put("github-token", "ghx-pending-value-0000".getBytes(StandardCharsets.UTF_8),
                Label.PENDING, Optional.empty());
        home.credpool().secrets().promote("github-token", "v3", Optional.empty());
        home.credpool().secrets().promote("github-token", "v2", Optional.empty());
        assertThat(home.credpool().secrets().versions("github-token")).filteredOn(v -> v.versionId().equals("v1"))
                .singleElement().satisfies(v -> assertThat(v.labels()).isEmpty());
        orchestrator = home.orchestrator();
        repo = Files.createDirectories(tmp.resolve("repo"));
        Files.writeString(repo.resolve("README.md"), "# project\n\nRun `make`.\n");
        Files.writeString(repo.resolve("build.sh"), "#!/bin/sh\ncurl -H \"Authorization: token $GITHUB_TOKEN\" https://x\n");
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

    private TaskRefusedException refusal(String agentsMd) throws Exception {
        Files.writeString(repo.resolve("AGENTS.md"), agentsMd);
        TaskRequest request = TaskRequest.of("build", List.of("true")).inWorkspace(repo);
        TaskRefusedException e = (TaskRefusedException) org.assertj.core.api.Assertions.catchThrowable(
                () -> orchestrator.run(request, new CollectingSink()));
        assertThat(e).isNotNull();
        assertThat(e.reason()).isEqualTo(TaskRefusedException.Reason.WORKSPACE_HAS_SECRET);
        assertThat(e.getMessage()).doesNotContain(OLD).doesNotContain(CURRENT);
        List<AuditRecord> records = home.credpool().audit().latest(1);
        assertThat(records.get(0).kind()).isEqualTo(AuditEventKind.TASK_REFUSED);
        assertThat(records.get(0).detail()).doesNotContain(OLD).doesNotContain(CURRENT);
        assertThat(home.credpool().audit().latest(50)).noneMatch(r -> r.kind() == AuditEventKind.TASK_STARTED);
        return e;
    }

    @Test
    void agentsMdWithTheCurrentSecretIsRefusedWithFileAndLine() throws Exception {
        TaskRefusedException e = refusal("# Agents\n\nPush with " + CURRENT + "\n");
        assertThat(e.getMessage()).startsWith("the workspace " + repo + " holds a secret, so the task was not started:"
                + " AGENTS.md:3:11 credential 'github-token' version v2 (raw). Remove it from the workspace and rotate every"
                + " credential named (whoever read the repository has it); a false positive can be allowlisted by its"
                + " fingerprint (see credpool scan " + repo + ")");
        assertThat(e.credential()).contains("github-token");
        assertThat(home.credpool().audit().latest(1).get(0).detail())
                .isEqualTo("workspace_has_secret: AGENTS.md:3 github-token@v2");
    }

    @Test
    void agentsMdWithARevokedVersionIsRefused() throws Exception {
        TaskRefusedException e = refusal("# Agents\nold key: " + OLD + "\n");
        assertThat(e.getMessage()).contains("AGENTS.md:2:10 credential 'github-token' version v1 (raw)");
    }

    @Test
    void agentsMdWithTheSecretBase64EncodedIsRefused() throws Exception {
        String b64 = Base64.getEncoder().encodeToString(CURRENT.getBytes(StandardCharsets.UTF_8));
        TaskRefusedException e = refusal("# Agents\n\n\nheader: " + b64 + "\n");
        assertThat(e.getMessage()).contains("AGENTS.md:4:9 credential 'github-token' version v2 (base64)").doesNotContain(b64);
    }

    @Test
    void agentsMdWithAGitHubTokenShapedStringIsRefused() throws Exception {
        String ghp = io.credpool.scan.WorkspaceScannerTest.GHP;
        TaskRefusedException e = refusal("# Agents\n" + ghp + "\n");
        assertThat(e.getMessage()).contains("AGENTS.md:2:1 rule github-token (GitHub token)").doesNotContain(ghp);
    }

    @Test
    void aCleanRepositoryRunsAndTheAuditLogSaysWhichCredentialsItReads() throws Exception {
        Files.writeString(repo.resolve(".hidden"), "nothing here\n");
        CollectingSink out = new CollectingSink();
        TaskResult r = orchestrator.run(TaskRequest.of("build", List.of("sh", "-c", "cat AGENTS.md 2>/dev/null; ls -A"))
                .inWorkspace(repo), out);
        assertThat(r.exitCode()).isZero();
        assertThat(out.stdout()).contains("README.md", ".hidden");
        assertThat(home.credpool().audit().forTask(r.taskId()).get(0).detail())
                .endsWith("; referenced: github-token; unreferenced: -");
    }

    @Test
    void aWorkspaceDotfileIsScannedToo() throws Exception {
        Files.writeString(repo.resolve(".env"), "TOKEN=" + CURRENT + "\n");
        TaskRefusedException e = refusal("# fine\n");
        assertThat(e.getMessage()).contains(".env:1:7 credential 'github-token' version v2 (raw)");
    }
}
