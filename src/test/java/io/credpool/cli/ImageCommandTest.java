package io.credpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.credpool.sandbox.process.HostScan;
import io.credpool.testing.MicroVms;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `credpool image` and a `sandbox: microvm` task type, end to end through the CLI: one cold boot. */
class ImageCommandTest {
    private static final String POOL_VALUE = "pool-cli-value-6b1d93f0";
    private static final String TASK_VALUE = "task-cli-value-2e7a4c85";

    @TempDir
    Path tmp;

    @Test
    void aMicroVmTaskTypeRunsAfterImageBuildWithRedactedOutputAndItsOwnExitCode() throws Exception {
        MicroVms.requireQemu();
        Path home = tmp.resolve("home");
        Cli cli = new Cli(home);
        assertThat(cli.run("init").status()).isZero();
        Files.writeString(home.resolve("credpool.yaml"), """
                version: 1
                task_types:
                  vm:
                    sandbox: microvm
                    credentials:
                      - {name: pool-key, env: POOL_KEY, scope: pool}
                      - {name: task-key, env: TASK_KEY, scope: task}
                """, StandardCharsets.UTF_8);
        for (String[] s : new String[][] {{"pool-key", POOL_VALUE}, {"task-key", TASK_VALUE}}) {
            assertThat(cli.runWithStdin(s[1].getBytes(StandardCharsets.UTF_8), "secret", "put", s[0]).status()).isZero();
        }

        Cli.Result missing = cli.run("run", "--type", "vm", "--no-workspace", "--", "true");
        assertThat(missing.status()).isEqualTo(125);
        assertThat(missing.err()).contains("needs a microvm sandbox: no microVM guest image in " + home.resolve("images")
                + "; run 'credpool image build'");

        Cli.Result built = cli.run("image", "build");
        assertThat(built.status()).as(built.err()).isZero();
        assertThat(built.out()).startsWith("microVM guest image guest-").contains("is current", "initramfs");
        assertThat(cli.run("image", "show").out()).isEqualTo(built.out().lines().limit(3)
                .map(l -> l.replace(" is current", "")).reduce("", (a, b) -> a + b + "\n"));

        Cli.Result r = cli.run("run", "--type", "vm", "--no-workspace", "--", "sh", "-c",
                "echo \"$POOL_KEY $TASK_KEY\"; uname -r; exit 3");
        assertThat(r.status()).as(r.err()).isEqualTo(3);
        assertThat(r.out()).startsWith("***pool-key*** ***task-key***\n").contains("cloud-amd64");

        for (String value : new String[] {POOL_VALUE, TASK_VALUE}) {
            byte[] v = value.getBytes(StandardCharsets.UTF_8);
            assertThat(HostScan.filesContaining(home, v)).isEmpty();
            assertThat(r.err()).doesNotContain(value);
        }
        // The CLI's credpool closed: the template's key is forgotten and its file deleted.
        try (var files = Files.walk(home.resolve("state/microvm"))) {
            assertThat(files.filter(p -> p.toString().endsWith(".snap"))).isEmpty();
        }
    }
}
