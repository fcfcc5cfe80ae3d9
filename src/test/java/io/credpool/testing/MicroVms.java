package io.credpool.testing;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.credpool.sandbox.microvm.ImageBuilder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test assumption for real microVMs: in CI (CI=true) missing QEMU or kernel fails, elsewhere it skips. */
public final class MicroVms {
    public static final Path QEMU = Path.of("/usr/bin/qemu-system-x86_64");

    private MicroVms() {
    }

    public static void requireQemu() {
        String missing = !Files.isExecutable(QEMU) ? "qemu-system-x86 is not installed"
                : ImageBuilder.findKernel(Path.of("/boot")).isEmpty() ? "no cloud kernel in /boot"
                : !Files.isExecutable(Path.of("/bin/busybox")) ? "busybox-static is not installed" : null;
        if (missing == null) {
            return;
        }
        String message = missing + ": apt-get install --no-install-recommends qemu-system-x86 linux-image-cloud-amd64"
                + " busybox-static (or run .ci/run)";
        if ("true".equals(System.getenv("CI"))) {
            fail(message);
        }
        assumeTrue(false, message);
    }
}
