package io.credpool.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentBinaryTest {
    @TempDir
    Path temp;

    @Test
    void theAgentIsExtractedOnceUnderItsContentHashAsAnExecutable() throws IOException {
        Path dir = temp.resolve("home/lib");

        Path first = AgentBinary.extractTo(dir);
        long modified = Files.getLastModifiedTime(first).toMillis();
        Path second = AgentBinary.extractTo(dir);

        assertThat(second).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(second).toMillis()).isEqualTo(modified);
        assertThat(first.getFileName().toString()).matches("credpool-agent-[0-9a-f]{16}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first))).isEqualTo("rwxr-xr-x");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(first);
        }
    }

    @Test
    void aTruncatedAgentIsReplaced() throws IOException {
        Path agent = AgentBinary.extractTo(temp);
        long size = Files.size(agent);
        Files.write(agent, new byte[10]);

        assertThat(AgentBinary.extractTo(temp)).isEqualTo(agent);
        assertThat(Files.size(agent)).isEqualTo(size);
    }
}
