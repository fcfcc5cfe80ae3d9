package io.credpool.testing;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Headless Chromium for tests: in CI (CI=true) a missing browser fails, elsewhere it skips. */
public final class Chromium {
    private Chromium() {
    }

    public static Path require() {
        Optional<Path> found = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome").stream()
                .map(Path::of).filter(Files::isExecutable).findFirst();
        if (found.isPresent()) {
            return found.get();
        }
        String message = "chromium is not installed: apt-get install chromium (or run .ci/run)";
        if ("true".equals(System.getenv("CI"))) {
            fail(message);
        }
        assumeTrue(false, message);
        throw new IllegalStateException("unreachable");
    }

    /** The DOM after Chromium loaded and laid out {@code page}, offline. */
    public static String dumpDom(Path page, Path profile) throws Exception {
        Process p = new ProcessBuilder(require().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + profile, "--dump-dom", page.toUri().toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish within 60 s");
        }
        return new String(out, java.nio.charset.StandardCharsets.UTF_8);
    }
}
