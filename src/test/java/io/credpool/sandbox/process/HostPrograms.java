package io.credpool.sandbox.process;

import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.credpool.sandbox.process.ProcessSandboxBackend.Mode;
import java.nio.file.Path;

/** Test assumption: a sandbox program must be installed; in CI its absence fails, elsewhere it skips. */
final class HostPrograms {
    private HostPrograms() {
    }

    static void require(ProcessSandboxFactory factory, Mode mode) {
        if (mode.program().isEmpty() || factory.find(mode.program().get()).isPresent()) {
            return;
        }
        String message = "the " + mode + " sandbox needs '" + mode.program().get() + "' on the PATH: install "
                + (mode == Mode.BUBBLEWRAP ? "bubblewrap (apt-get install bubblewrap)" : "util-linux");
        if ("true".equals(System.getenv("CI"))) {
            fail(message);
        }
        assumeTrue(false, message);
    }

    static Path launcher(ProcessSandboxFactory factory, Mode mode) {
        require(factory, mode);
        return mode.program().flatMap(factory::find).orElse(null);
    }
}
