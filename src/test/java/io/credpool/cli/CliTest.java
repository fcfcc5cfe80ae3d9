package io.credpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.credpool.testing.Sandboxing;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    private static final String TOKEN = "ghp_cliTestTokenValue0123456789";

    @TempDir
    Path tmp;
    Path home;
    Cli cli;

    @BeforeEach
    void setUp() {
        home = tmp.resolve("home");
        cli = new Cli(home);
    }

    private void init() {
        assertThat(cli.run("init").status()).isZero();
    }

    private String put(String name, String value) {
        Cli.Result r = cli.runWithStdin(value.getBytes(StandardCharsets.UTF_8), "secret", "put", name);
        assertThat(r.status()).as(r.err()).isZero();
        return r.out().trim();
    }

    @Test
    void helpListsEveryCommand() {
        Cli.Result r = cli.run("--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("init", "secret", "run", "session", "audit", "config", "server", "demo");
        for (String cmd : new String[] {"init", "secret", "run", "session", "audit", "config", "server", "demo"}) {
            assertThat(cli.run(cmd, "--help").status()).as(cmd).isZero();
        }
        assertThat(cli.run("secret", "put", "--help").out()).contains("stdin");
    }

    @Test
    void initCreatesAPrivateHomeAndIsIdempotent() throws Exception {
        Cli.Result r = cli.run("init");
        assertThat(r.status()).isZero();
        assertThat(r.out()).startsWith("initialized credpool home " + home);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("master.key")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("api.token")))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home))).isEqualTo("rwx------");
        assertThat(home.resolve("credpool.yaml")).exists();
        byte[] key = Files.readAllBytes(home.resolve("master.key"));
        Cli.Result again = cli.run("init");
        assertThat(again.out()).isEqualTo("credpool home " + home + " is already initialized; nothing changed\n");
        assertThat(Files.readAllBytes(home.resolve("master.key"))).isEqualTo(key);
    }

    @Test
    void commandsBeforeInitSayToRunInit() {
        Cli.Result r = cli.run("secret", "list");
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.err()).isEqualTo("credpool: credpool is not initialized in " + home
                + "; run `credpool init` first (or point CREDPOOL_HOME / --home at an initialized directory)\n");
    }

    @Test
    void secretPutReadsStdinAndPrintsTheVersionId() {
        init();
        assertThat(put("github-token", TOKEN)).isEqualTo("v1");
        assertThat(put("github-token", TOKEN + "2")).isEqualTo("v2");
        Cli.Result list = cli.run("secret", "list");
        assertThat(list.out()).contains("github-token").contains("v2").contains("current").contains("v1").contains("previous")
                .doesNotContain(TOKEN);
        Cli.Result json = cli.run("secret", "list", "--output", "json");
        assertThat(json.out()).contains("\"versionId\" : \"v2\"").doesNotContain(TOKEN);
    }

    @Test
    void secretPutWithNothingOnStdinIsAUsageError() {
        init();
        Cli.Result r = cli.run("secret", "put", "github-token");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("credpool: no value on stdin for 'github-token': pipe it in, e.g. printf '%s' \"$VALUE\""
                + " | credpool secret put github-token\n");
    }

    @Test
    void anOversizedValueIsRefusedAndNothingIsStored() {
        init();
        Cli.Result r = cli.runWithStdin(new byte[64 * 1024 + 1], "secret", "put", "big");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("larger than 65536 bytes");
        assertThat(cli.run("secret", "list").out()).doesNotContain("big");
    }

    @Test
    void aTrailingNewlineIsKeptButNoted() {
        init();
        Cli.Result r = cli.runWithStdin("value\n".getBytes(StandardCharsets.UTF_8), "secret", "put", "k");
        assertThat(r.status()).isZero();
        assertThat(r.err()).contains("ends with a newline");
    }

    @Test
    void compareAndSetRefusesAStaleWriter() {
        init();
        put("k", "first-value");
        Cli.Result r = cli.runWithStdin("x-value".getBytes(StandardCharsets.UTF_8), "secret", "put", "k", "--if-current", "none");
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.err()).contains("secret 'k' changed under you: expected current version (none) but it is v1");
        Cli.Result ok = cli.runWithStdin("y-value".getBytes(StandardCharsets.UTF_8), "secret", "put", "k", "--if-current", "v1");
        assertThat(ok.out().trim()).isEqualTo("v2");
    }

    @Test
    void runPassesTheTasksExitCodeAndRedactsItsOutput() {
        Sandboxing.requireBubblewrap();
        init();
        put("github-token", TOKEN);
        Cli.Result r = cli.run("run", "--type", "build", "--no-workspace", "--", "sh", "-c", "echo token=$GITHUB_TOKEN; exit 3");
        assertThat(r.status()).as(r.err()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("token=***github-token***\n");
    }

    @Test
    void aRefusedRunExitsWith125AndNamesTheCredential() {
        Sandboxing.requireBubblewrap();
        init();
        Cli.Result r = cli.run("run", "--type", "build", "--no-workspace", "--", "true");
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.err()).isEqualTo("credpool: refused: task type 'build' needs credential 'github-token' (credpool.yaml:19:9):"
                + " no secret named 'github-token' in the embedded store; store one with: printf '%s' \"$VALUE\" | credpool secret put github-token\n");
    }

    @Test
    void runInASessionWithoutAServerSaysToStartOne() {
        init();
        Cli.Result r = cli.run("run", "--type", "agent", "--session", "s-1", "--no-workspace", "--", "true");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("credpool: sessions live in the memory of a running orchestrator: start `credpool server`"
                + " first, then `credpool session open --type agent`\n");
    }

    @Test
    void configCheckReportsMissingCredentialsAtTheirLine() {
        init();
        put("github-token", TOKEN);
        Cli.Result r = cli.run("config", "check");
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.err()).isEqualTo("credpool: credpool.yaml:29:9: task_types.agent: credential 'llm-api-key' is not in the"
                + " embedded secrets store; store it with: printf '%s' \"$VALUE\" | credpool secret put llm-api-key\n");
        put("llm-api-key", "sk-value-123456");
        Cli.Result ok = cli.run("config", "check");
        assertThat(ok.status()).isZero();
        assertThat(ok.out()).contains("ok, 2 task types");
    }

    @Test
    void auditVerifyPassesOnAnUntouchedLog() {
        init();
        put("github-token", TOKEN);
        Cli.Result r = cli.run("audit", "verify");
        assertThat(r.status()).isZero();
        assertThat(r.out()).startsWith("audit log ok: ");
    }

    @Test
    void theDemoRunsTheWholeFlowAndFindsNoValueOnDisk() {
        Sandboxing.requireBubblewrap();
        Cli.Result r = cli.run("demo");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("refused [unknown_credential]", "refused [workspace_has_secret]", "over-provisioned",
                "chain intact", "none found in");
        assertThat(r.out()).doesNotContainPattern("ghp_[A-Za-z0-9_-]{20,}");
    }

    @Test
    void unknownCommandsAndOptionsAreUsageErrors() {
        assertThat(cli.run("frobnicate").status()).isEqualTo(2);
        assertThat(cli.run("run", "--bogus").status()).isEqualTo(2);
    }
}
