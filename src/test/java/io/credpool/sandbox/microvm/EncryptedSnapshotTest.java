package io.credpool.sandbox.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.sandbox.process.HostScan;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncryptedSnapshotTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    /** Looks like guest memory: mostly a repeated secret, across several chunks and a partial last one. */
    private static byte[] memory() {
        byte[] secret = "ghp_snapshotSecret0123456789".getBytes();
        byte[] m = new byte[(3 << 20) + 12345];
        for (int i = 0; i + secret.length <= m.length; i += 4096) {
            System.arraycopy(secret, 0, m, i, secret.length);
        }
        return m;
    }

    @Test
    void theFileHoldsNoPlaintextAndDecryptsToTheExactStream() throws IOException {
        byte[] plain = memory();
        EncryptedSnapshot s = EncryptedSnapshot.write(dir.resolve("a.snap"), new ByteArrayInputStream(plain), RANDOM);

        assertThat(HostScan.filesContaining(dir, "ghp_snapshotSecret".getBytes())).isEmpty();
        assertThat(Files.getPosixFilePermissions(s.file())).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.readTo(out);
        assertThat(out.toByteArray()).isEqualTo(plain);
    }

    @Test
    void aModifiedByteFailsTheRestore() throws IOException {
        EncryptedSnapshot s = EncryptedSnapshot.write(dir.resolve("b.snap"), new ByteArrayInputStream(memory()), RANDOM);
        byte[] f = Files.readAllBytes(s.file());
        f[f.length / 2] ^= 1;
        Files.write(s.file(), f);

        assertThatThrownBy(() -> s.readTo(new ByteArrayOutputStream()))
                .isInstanceOf(IOException.class)
                .hasMessageEndingWith("failed authentication: it was modified or is not ours");
    }

    @Test
    void aSnapshotCutAtAChunkBoundaryFailsTheRestore() throws IOException {
        EncryptedSnapshot s = EncryptedSnapshot.write(dir.resolve("c.snap"), new ByteArrayInputStream(memory()), RANDOM);
        byte[] f = Files.readAllBytes(s.file());
        int oneChunk = "credpool-snapshot/1\n".length() + 4 + (1 << 20) + 16;
        Files.write(s.file(), Arrays.copyOf(f, oneChunk));

        assertThatThrownBy(() -> s.readTo(new ByteArrayOutputStream()))
                .isInstanceOf(IOException.class)
                .hasMessageEndingWith("is truncated");
    }

    @Test
    void deletingForgetsTheKeyAndRemovesTheFile() throws IOException {
        EncryptedSnapshot s = EncryptedSnapshot.write(dir.resolve("d.snap"), new ByteArrayInputStream(memory()), RANDOM);
        Path copy = Files.copy(s.file(), dir.resolve("copy.snap"));
        s.delete();

        assertThat(s.file()).doesNotExist();
        Files.move(copy, s.file());
        assertThatThrownBy(() -> s.readTo(new ByteArrayOutputStream())).isInstanceOf(IOException.class);
    }

    @Test
    void anInMemorySnapshotGivesBackTheStreamUntilDeleted() throws IOException {
        byte[] plain = memory();
        MemorySnapshot s = MemorySnapshot.read(new ByteArrayInputStream(plain));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        s.readTo(out);
        assertThat(out.toByteArray()).isEqualTo(plain);
        s.delete();
        assertThatThrownBy(() -> s.readTo(new ByteArrayOutputStream())).hasMessage("the snapshot was deleted");
    }
}
