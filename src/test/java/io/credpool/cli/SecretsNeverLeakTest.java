package io.credpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.credpool.testing.Sandboxing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The whole flow through the CLI, then a search for the secret value (raw, base64, hex) everywhere
 * it must never be: files under the home and the temp dir, every process's command line while the
 * task runs, every log event, every message the CLI printed, and the task's captured output.
 */
class SecretsNeverLeakTest {
    private static final String VALUE = "ghp_Leak7estValue_9f8e7d6c5b4a3928";

    @TempDir
    Path tmp;
    Cli cli;
    ListAppender<ILoggingEvent> logs;
    final List<String> printed = new ArrayList<>();

    @BeforeEach
    void setUp() {
        Sandboxing.requireBubblewrap();
        cli = new Cli(tmp.resolve("home"));
        logs = new ListAppender<>();
        logs.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
    }

    private Cli.Result run(byte[] stdin, String... args) {
        Cli.Result r = cli.runWithStdin(stdin, args);
        printed.add(r.out());
        printed.add(r.err());
        return r;
    }

    private static List<byte[]> forms() {
        byte[] raw = VALUE.getBytes(StandardCharsets.UTF_8);
        return List.of(raw, Base64.getEncoder().encode(raw), Base64.getUrlEncoder().withoutPadding().encode(raw),
                HexFormat.of().formatHex(raw).getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aSecretValueIsNowhereButInsideTheSandbox() throws Exception {
        FileTime start = FileTime.fromMillis(System.currentTimeMillis() - 1000);
        run(new byte[0], "init");
        assertThat(run(VALUE.getBytes(StandardCharsets.UTF_8), "secret", "put", "github-token").status()).isZero();

        // While the task runs (it sleeps with the value in its environment), look at every command line.
        CompletableFuture<Cli.Result> task = CompletableFuture.supplyAsync(() -> run(new byte[0], "run", "--type", "build",
                "--no-workspace", "--", "sh", "-c",
                "echo $GITHUB_TOKEN; printf %s \"$GITHUB_TOKEN\" | base64; printf %s \"$GITHUB_TOKEN\" | od -An -tx1 | tr -d ' \\n';"
                        + " echo; echo \"$GITHUB_TOKEN\" >&2; sleep 1.5"));
        List<Long> withValue = new ArrayList<>();
        long deadline = System.nanoTime() + 1_200_000_000L;
        while (System.nanoTime() < deadline && !task.isDone()) {
            withValue.addAll(processesWhoseCmdlineHasAny(forms()));
            Thread.sleep(50);
        }
        Cli.Result result = task.get();
        assertThat(result.status()).as(result.err()).isZero();
        assertThat(withValue).as("processes with the value on their command line").isEmpty();

        // Refusals and errors print no value either.
        run(new byte[0], "run", "--type", "agent", "--no-workspace", "--", "true");
        run("x-other-value".getBytes(StandardCharsets.UTF_8), "secret", "put", "github-token", "--if-current", "v9");
        run(new byte[0], "secret", "list", "--all", "--output", "json");
        run(new byte[0], "audit", "log", "--output", "json");
        run(new byte[0], "audit", "verify");

        for (byte[] form : forms()) {
            String text = new String(form, StandardCharsets.US_ASCII);
            assertThat(printed).as("CLI output").noneMatch(s -> s.contains(text));
            assertThat(filesContaining(tmp, form, null)).as("files under the test's home").isEmpty();
            assertThat(filesContaining(Path.of(System.getProperty("java.io.tmpdir")), form, start))
                    .as("files in the temp dir written during the test").isEmpty();
            for (ILoggingEvent e : logs.list) {
                assertThat(e.getFormattedMessage()).doesNotContain(text);
                for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                    assertThat(String.valueOf(t.getMessage())).doesNotContain(text);
                }
            }
        }
        assertThat(logs.list).as("the flow was logged at all").isNotEmpty();
        assertThat(result.out()).startsWith("***github-token***\n***github-token***\n***github-token***\n");
        assertThat(result.err()).contains("***github-token***");
    }

    private static List<Long> processesWhoseCmdlineHasAny(List<byte[]> needles) throws IOException {
        List<Long> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs.filter(x -> x.getFileName().toString().matches("\\d+"))::iterator) {
                byte[] cmdline;
                try {
                    cmdline = Files.readAllBytes(p.resolve("cmdline"));
                } catch (IOException e) {
                    continue;
                }
                for (byte[] n : needles) {
                    if (DemoCommand.indexOf(cmdline, n) >= 0) {
                        found.add(Long.parseLong(p.getFileName().toString()));
                    }
                }
            }
        }
        return found;
    }

    private static List<Path> filesContaining(Path root, byte[] needle, FileTime newerThan) throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                try {
                    if (!Files.isRegularFile(f) || Files.size(f) > 64 << 20
                            || (newerThan != null && Files.getLastModifiedTime(f).compareTo(newerThan) < 0)) {
                        continue;
                    }
                    if (DemoCommand.indexOf(Files.readAllBytes(f), needle) >= 0) {
                        found.add(f);
                    }
                } catch (IOException e) {
                    // vanished or unreadable socket: not a file we wrote
                }
            }
        } catch (java.io.UncheckedIOException e) {
            // a directory vanished while walking the shared temp dir
        }
        return found;
    }
}
