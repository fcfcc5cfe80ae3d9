package io.credpool.audit.report;

import static org.assertj.core.api.Assertions.assertThat;

import io.credpool.audit.report.AccessReport.CredentialUse;
import io.credpool.audit.report.AccessReport.PolicyFinding;
import io.credpool.audit.report.AccessReport.Receipt;
import io.credpool.audit.report.AccessReport.Referenced;
import io.credpool.audit.report.AccessReport.TaskTypeUse;
import io.credpool.config.CredpoolConfig;
import io.credpool.task.Orchestrator;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskResult;
import io.credpool.testing.Chromium;
import io.credpool.testing.CollectingSink;
import io.credpool.testing.Sandboxing;
import io.credpool.testing.TestHome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessReportTest {
    private static final String CONFIG = """
            task_types:
              build:
                credentials:
                  - {name: github-token, env: GITHUB_TOKEN}
                  - {name: npm-token, env: NPM_TOKEN}
                  - {name: deploy-key, env: DEPLOY_KEY}
              lint:
                credentials:
                  - {name: github-token, env: GITHUB_TOKEN}
              agent:
                credentials:
                  - {name: github-token, env: GITHUB_TOKEN, scope: session}
              baked:
                credentials:
                  - {name: npm-token, env: NPM_TOKEN, scope: pool}
            """;
    private static final List<String> VALUES = List.of("ghx-report-value-1111111", "npm-report-value-2222222",
            "deploy-report-value-3333333", "ghx-report-value-4444444");

    @TempDir
    Path tmp;
    TestHome home;
    Orchestrator orchestrator;

    @BeforeEach
    void setUp() throws Exception {
        Sandboxing.requireBubblewrap();
        home = new TestHome(tmp, CONFIG);
        home.put("github-token", VALUES.get(0));
        home.put("npm-token", VALUES.get(1));
        home.put("deploy-key", VALUES.get(2));
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

    private TaskResult runBuild() throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Files.writeString(repo.resolve("Makefile"), "publish:\n\tgit push https://x:$(GITHUB_TOKEN)@github.com/o/r\n");
        Files.writeString(repo.resolve("README.md"), "Needs NPM_TOKEN and DEPLOY_KEY set (mentioned, not read).\n");
        TaskResult r = orchestrator.run(TaskRequest.of("build", List.of("make", "-n", "publish")).inWorkspace(repo),
                new CollectingSink());
        assertThat(r.exitCode()).isZero();
        return r;
    }

    private AccessReport report() {
        CredpoolConfig config = orchestrator.config();
        Instant now = Instant.now().plusSeconds(1);
        return AccessReports.build(config, home.credpool().audit().since(now.minus(Duration.ofDays(7))),
                home.credpool().secrets().list(), now.minus(Duration.ofDays(7)), now);
    }

    @Test
    void aTaskTypeThatDeclaresThreeAndReadsOneIsFlaggedForExactlyTwo() throws Exception {
        runBuild();
        runBuild();

        TaskTypeUse build = report().taskTypes().stream().filter(t -> t.name().equals("build")).findFirst().orElseThrow();

        assertThat(build.tasks()).isEqualTo(2);
        assertThat(build.credentials()).extracting(CredentialUse::credential, CredentialUse::tasksReceived,
                CredentialUse::referenced).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("github-token", 2, Referenced.YES),
                        org.assertj.core.groups.Tuple.tuple("npm-token", 2, Referenced.NO),
                        org.assertj.core.groups.Tuple.tuple("deploy-key", 2, Referenced.NO));
        assertThat(build.overProvisioned()).extracting(CredentialUse::credential).containsExactly("npm-token", "deploy-key");
        assertThat(build.overProvisioned().get(0).suggestion()).isEqualTo("no task of type 'build' read NPM_TOKEN in 2"
                + " scanned tasks: remove credential 'npm-token' from task_types.build.credentials in credpool.yaml"
                + " (credpool.yaml:5:9)");
    }

    @Test
    void aTaskTypeWithNoTasksIsNotFlaggedButUnknown() {
        TaskTypeUse lint = report().taskTypes().stream().filter(t -> t.name().equals("lint")).findFirst().orElseThrow();
        assertThat(lint.credentials()).singleElement().satisfies(c -> {
            assertThat(c.referenced()).isEqualTo(Referenced.UNKNOWN);
            assertThat(c.overProvisioned()).isFalse();
        });
    }

    @Test
    void scopePolicyFindingsNameTheCredentialAndTaskTypes() {
        // npm-token rotates twice within seconds: far more often than a pool should be rebuilt.
        home.put("npm-token", "npm-report-value-5555555");
        home.put("npm-token", "npm-report-value-6666666");
        assertThat(report().policy()).extracting(PolicyFinding::kind, PolicyFinding::credential, PolicyFinding::taskTypes)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(PolicyFinding.Kind.SESSION_SCOPE_SHARED, "github-token", List.of("agent")),
                        org.assertj.core.groups.Tuple.tuple(PolicyFinding.Kind.DECLARED_BY_MANY, "github-token",
                                List.of("agent", "build", "lint")),
                        org.assertj.core.groups.Tuple.tuple(PolicyFinding.Kind.POOL_SCOPE_ROTATES_OFTEN, "npm-token", List.of("baked")));
    }

    @Test
    void theQueryListsEveryTaskThatReceivedAVersionAndNoOther() throws Exception {
        TaskResult first = runBuild();
        home.put("github-token", VALUES.get(3));
        TaskResult second = runBuild();

        List<Receipt> v1 = AccessReports.tasksThatReceived(home.credpool().audit(), "github-token", "v1");
        List<Receipt> v2 = AccessReports.tasksThatReceived(home.credpool().audit(), "github-token", "v2");

        assertThat(v1).extracting(Receipt::taskId).containsExactly(first.taskId());
        assertThat(v2).extracting(Receipt::taskId).containsExactly(second.taskId());
        assertThat(AccessReports.tasksThatReceived(home.credpool().audit(), "github-token", "v9")).isEmpty();
    }

    @Test
    void theHtmlReportRendersInHeadlessChromiumWithItsRows() throws Exception {
        Chromium.require();
        runBuild();
        home.put("github-token", VALUES.get(3));
        runBuild();
        String html = HtmlReport.render(report());
        assertThat(html).doesNotContain("https://", "src=", "href=", "<script", "<link", "url(");
        VALUES.forEach(v -> assertThat(html).doesNotContain(v));
        Path page = tmp.resolve("report.html");
        Files.writeString(page, html, StandardCharsets.UTF_8);

        String dom = Chromium.dumpDom(page, Files.createDirectories(tmp.resolve("chromium-profile")));

        assertThat(dom).contains("<table class=\"task-type\" data-task-type=\"build\">");
        assertThat(dom).containsPattern("<tr class=\"credential over\" data-credential=\"npm-token\">")
                .containsPattern("<tr class=\"credential over\" data-credential=\"deploy-key\">")
                .containsPattern("<tr class=\"credential\" data-credential=\"github-token\"><td>github-token</td>");
        assertThat(dom).contains("data-task-type=\"lint\"", "data-task-type=\"agent\"", "data-task-type=\"baked\"");
        assertThat(dom).contains("<svg class=\"timeline\" data-credential=\"github-token\"")
                .contains("data-version=\"v1\"", "data-version=\"v2\"");
        assertThat(dom.split("class=\"receipt\"", -1)).hasSizeGreaterThanOrEqualTo(1 + 6);
    }
}
