package io.credpool.testing;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the real servers tests run: in CI (CI=true) a missing one fails, elsewhere the test skips. */
public final class ExternalTools {
    private ExternalTools() {
    }

    /** {@code program} if it is executable; otherwise fails (CI) or skips, saying what to install. */
    public static Path require(Path program, String install) {
        if (Files.isExecutable(program)) {
            return program;
        }
        String message = program + " is not installed: " + install + " (or run .ci/run)";
        if ("true".equals(System.getenv("CI"))) {
            fail(message);
        }
        assumeTrue(false, message);
        throw new IllegalStateException("unreachable");
    }

    /** A loopback port free right now; a server started on it soon after will almost always get it. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port", e);
        }
    }

    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a temp dir left behind is not worth failing a test for
                }
            });
        } catch (IOException e) {
            // same
        }
    }

    /** Sends a signal to a process by pid (Java has no SIGSTOP/SIGCONT of its own). */
    static void signal(long pid, String signal) {
        try {
            Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
