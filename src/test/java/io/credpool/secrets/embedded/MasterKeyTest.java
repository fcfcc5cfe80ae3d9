package io.credpool.secrets.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeyTest {
    @TempDir
    Path dir;

    @Test
    void newKeyFileIsCreatedOwnerOnlyWith32Bytes() throws Exception {
        Path file = dir.resolve("state/master.key");
        MasterKey.loadOrCreate(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        assertThat(Files.size(file)).isEqualTo(32);
        // No temporary file is left behind.
        try (var s = Files.list(file.getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("master.key");
        }
    }

    @Test
    void keyIsOwnerOnlyEvenUnderAPermissiveUmaskBecauseTheModeIsSetAtCreation() throws Exception {
        // The JVM's umask is inherited; whatever it is, the open(2) mode 0600 is the ceiling.
        Path file = dir.resolve("master.key");
        MasterKey.loadOrCreate(file);
        assertThat(Files.getPosixFilePermissions(file))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void loadingAgainReturnsTheSameKey() throws Exception {
        Path file = dir.resolve("master.key");
        MasterKey a = MasterKey.loadOrCreate(file);
        MasterKey b = MasterKey.loadOrCreate(file);
        assertThat(b.secretKey().getEncoded()).isEqualTo(a.secretKey().getEncoded());
    }

    @Test
    void twoKeysCreatedInDifferentFilesDiffer() {
        MasterKey a = MasterKey.loadOrCreate(dir.resolve("a.key"));
        MasterKey b = MasterKey.loadOrCreate(dir.resolve("b.key"));
        assertThat(a.secretKey().getEncoded()).isNotEqualTo(b.secretKey().getEncoded());
    }

    @Test
    void concurrentCreatorsAllEndUpWithTheSameKey() throws Exception {
        Path file = dir.resolve("raced/master.key");
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Callable<byte[]>> work = java.util.Collections.nCopies(6,
                    () -> MasterKey.loadOrCreate(file).secretKey().getEncoded());
            List<Future<byte[]>> results = pool.invokeAll(work);
            byte[] first = results.get(0).get();
            for (Future<byte[]> r : results) {
                assertThat(r.get()).isEqualTo(first);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void groupReadableKeyIsRefusedWithTheChmodToRun() throws Exception {
        Path file = dir.resolve("master.key");
        MasterKey.loadOrCreate(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> MasterKey.load(file))
                .isInstanceOf(MasterKeyException.class)
                .hasMessage("the master key " + file + " is accessible to group or others (mode"
                        + " rw-r--r--); it must be readable by its owner only. If nobody else could"
                        + " have read it, run: chmod 600 " + file + "; otherwise rotate every"
                        + " secret in the store");
    }

    @Test
    void groupWritableKeyIsRefused() throws Exception {
        Path file = dir.resolve("master.key");
        MasterKey.loadOrCreate(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw--w----"));
        assertThatThrownBy(() -> MasterKey.loadOrCreate(file))
                .isInstanceOf(MasterKeyException.class)
                .hasMessageContaining("accessible to group or others");
    }

    @Test
    void missingKeyIsRefusedWithWhatToDo() {
        Path file = dir.resolve("master.key");
        assertThatThrownBy(() -> MasterKey.load(file))
                .isInstanceOf(MasterKeyException.class)
                .hasMessage("no master key at " + file + "; the embedded store cannot decrypt"
                        + " without it. Restore it from a backup, or, for a new store, create one"
                        + " with: credpool init");
    }

    @Test
    void keyOfTheWrongSizeIsRefused() throws Exception {
        Path file = dir.resolve("master.key");
        Files.write(file, new byte[31]);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> MasterKey.load(file))
                .isInstanceOf(MasterKeyException.class)
                .hasMessage("the master key " + file + " is 31 bytes; a master key is exactly 32"
                        + " bytes. Restore the original file from a backup (the store cannot be"
                        + " decrypted without it)");
    }

    @Test
    void emptyKeyFileIsRefusedAndNotReplaced() throws Exception {
        Path file = dir.resolve("master.key");
        Files.createFile(file, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-------")));
        assertThatThrownBy(() -> MasterKey.loadOrCreate(file))
                .isInstanceOf(MasterKeyException.class)
                .hasMessageContaining("is 0 bytes");
        assertThat(Files.size(file)).isZero();
    }

    @Test
    void toStringNamesTheFileButNeverTheKey() throws Exception {
        Path file = dir.resolve("master.key");
        MasterKey key = MasterKey.loadOrCreate(file);
        byte[] raw = Files.readAllBytes(file);
        assertThat(key.toString()).isEqualTo("MasterKey[file=" + file + "]")
                .doesNotContain(HexFormat.of().formatHex(raw))
                .doesNotContain(java.util.Base64.getEncoder().encodeToString(raw));
    }
}
