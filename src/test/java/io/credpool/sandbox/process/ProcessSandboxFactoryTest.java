package io.credpool.sandbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.sandbox.SandboxException;
import io.credpool.sandbox.process.ProcessSandboxBackend.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessSandboxFactoryTest {
    @TempDir
    Path temp;

    private ProcessSandboxFactory factory(String searchPath) {
        return new ProcessSandboxFactory(temp.resolve("lib"), searchPath, Duration.ofSeconds(10), temp);
    }

    @Test
    void bubblewrapIsChosenWhereItWorks() {
        ProcessSandboxFactory factory = factory(System.getenv("PATH"));
        HostPrograms.require(factory, Mode.BUBBLEWRAP);

        assertThat(factory.detect(false)).isEqualTo(Mode.BUBBLEWRAP);
        assertThat(factory.create(false).name()).isEqualTo("bubblewrap");
    }

    @Test
    void unshareIsChosenWhenBubblewrapIsMissing() throws IOException {
        ProcessSandboxFactory full = factory(System.getenv("PATH"));
        HostPrograms.require(full, Mode.UNSHARE);
        Path onlyUnshare = Files.createDirectory(temp.resolve("only-unshare"));
        Path wrapper = onlyUnshare.resolve("unshare");
        Files.writeString(wrapper, "#!/bin/sh\nexec " + full.find("unshare").orElseThrow() + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));

        ProcessSandboxFactory factory = factory(onlyUnshare.toString());

        assertThat(factory.detect(false)).isEqualTo(Mode.UNSHARE);
        assertThat(factory.create(false).name()).isEqualTo("unshare");
    }

    @Test
    void withoutAnySandboxProgramDetectionFailsWithWhatToInstall() {
        ProcessSandboxFactory factory = factory(temp.resolve("empty").toString());

        assertThatThrownBy(() -> factory.detect(false))
                .isInstanceOf(SandboxException.class)
                .hasMessage("no sandbox available: install bubblewrap (apt-get install bubblewrap)"
                        + " or allow unsandboxed runs for this task type");
    }

    @Test
    void withoutAnySandboxProgramUnsandboxedIsChosenOnlyWhenAllowed() {
        assertThat(factory(temp.resolve("empty").toString()).detect(true)).isEqualTo(Mode.UNSANDBOXED);
    }

    @Test
    void askingForAModeWhoseProgramIsMissingSaysWhatToInstall() {
        ProcessSandboxFactory factory = factory("/nonexistent");

        assertThatThrownBy(() -> factory.create(Mode.BUBBLEWRAP))
                .isInstanceOf(SandboxException.class)
                .hasMessage("the bubblewrap sandbox needs 'bwrap' on the PATH (/nonexistent); install bubblewrap"
                        + " (apt-get install bubblewrap)");
    }
}
