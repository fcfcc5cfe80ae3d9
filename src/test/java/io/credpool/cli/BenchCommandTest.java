package io.credpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void aFailingCaseExitsNonZeroAndPrintsNoNumberNorPlot() {
        BenchCommand bench = new BenchCommand();
        bench.suites = (b, env) -> {
            b.latency("test", "a case that works", null, 0, 5, () -> { });
            b.latency("test", "a task that did not run", "a case that works", 0, 5, () -> {
                throw new IllegalStateException("the task exited with 127");
            });
        };
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(bench).setCaseInsensitiveEnumValuesAllowed(true).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        Path png = dir.resolve("bench.png");

        int status = cli.execute("--quick", "--output", "md", "--plot", png.toString());

        assertThat(status).isEqualTo(Main.EXIT_ERROR).isNotZero();
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString()).isEqualTo("credpool: benchmark case failed, no numbers printed: a task that did not run failed:"
                + " the task exited with 127" + System.lineSeparator());
        assertThat(png).doesNotExist();
    }

    @Test
    void aRunWhoseCasesPassPrintsTheirNumbersAndPlot() {
        BenchCommand bench = new BenchCommand();
        bench.suites = (b, env) -> {
            b.latency("test", "baseline case", null, 0, 5, () -> { });
            b.latency("test", "measured case", "baseline case", 0, 5, () -> Thread.sleep(1));
        };
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(bench).setCaseInsensitiveEnumValuesAllowed(true).setOut(new PrintWriter(out)).setErr(new PrintWriter(new StringWriter()));
        Path png = dir.resolve("bench.png");

        assertThat(cli.execute("--quick", "--output", "md", "--plot", png.toString())).isZero();
        assertThat(out.toString()).contains("| baseline case | 5 |").contains("x baseline case |")
                .contains("Command: `./credpool bench --suite all --quick --plot " + png + " --output md`");
        assertThat(png).isNotEmptyFile();
    }
}
