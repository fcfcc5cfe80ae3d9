package io.credpool.secrets.embedded;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The embedded store's AES-256 master key: 32 random bytes in a file readable by its owner only.
 *
 * <p>The file is created with mode 0600 by the {@code open(2)} that creates it (umask can only
 * take bits away), written completely under a temporary name and then hard-linked into place,
 * so there is never a moment when it is readable by others, never a half-written key file, and
 * of two processes creating it at once exactly one wins and both use the winner's key.
 */
public final class MasterKey {
    /** The key file's usual name inside the state directory. */
    public static final String FILE_NAME = "master.key";
    static final int LENGTH = 32;

    private static final Set<PosixFilePermission> OWNER_ONLY =
            PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final Path file;
    private final SecretKey key;

    private MasterKey(Path file, byte[] bytes) {
        this.file = file;
        this.key = new SecretKeySpec(bytes, "AES");
    }

    /** Loads the key at {@code file}, creating a fresh random one if there is none yet. */
    public static MasterKey loadOrCreate(Path file) {
        Objects.requireNonNull(file, "file");
        if (!Files.exists(file)) {
            try {
                createFile(file);
            } catch (FileAlreadyExistsException raced) {
                // Another process created it first: use theirs.
            } catch (IOException e) {
                throw new MasterKeyException("cannot create the master key " + file + ": " + e
                        + "; check that its directory exists and is writable by this user", e);
            }
        }
        return load(file);
    }

    /** Loads the key at {@code file}; fails if it is missing, the wrong size, or not private. */
    public static MasterKey load(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
            Set<PosixFilePermission> exposed = EnumSet.noneOf(PosixFilePermission.class);
            exposed.addAll(mode);
            exposed.retainAll(GROUP_OR_OTHERS);
            if (!exposed.isEmpty()) {
                throw new MasterKeyException("the master key " + file + " is accessible to group"
                        + " or others (mode " + PosixFilePermissions.toString(mode) + "); it must"
                        + " be readable by its owner only. If nobody else could have read it, run:"
                        + " chmod 600 " + file + "; otherwise rotate every secret in the store");
            }
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != LENGTH) {
                int n = bytes.length;
                Arrays.fill(bytes, (byte) 0);
                throw new MasterKeyException("the master key " + file + " is " + n + " bytes;"
                        + " a master key is exactly " + LENGTH + " bytes. Restore the original"
                        + " file from a backup (the store cannot be decrypted without it)");
            }
            try {
                return new MasterKey(file, bytes);
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        } catch (NoSuchFileException e) {
            throw new MasterKeyException("no master key at " + file + "; the embedded store"
                    + " cannot decrypt without it. Restore it from a backup, or, for a new store,"
                    + " create one with: credpool init", e);
        } catch (IOException e) {
            throw new MasterKeyException("cannot read the master key " + file + ": " + e, e);
        }
    }

    private static void createFile(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp-" + ProcessHandle.current().pid()
                + "-" + System.nanoTime());
        byte[] bytes = new byte[LENGTH];
        new SecureRandom().nextBytes(bytes);
        try {
            try (FileChannel ch = FileChannel.open(tmp, EnumSet.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(OWNER_ONLY))) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            // A hard link fails if the name exists, unlike a rename, which would replace a key
            // another process may already have encrypted with.
            Files.createLink(file, tmp);
            syncDirectory(dir);
        } finally {
            Arrays.fill(bytes, (byte) 0);
            Files.deleteIfExists(tmp);
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some filesystems refuse fsync on a directory; the key is written either way.
        }
    }

    /** Where this key was loaded from, for messages. */
    public Path file() {
        return file;
    }

    /**
     * A key for another purpose derived from this one with HKDF-SHA256 (RFC 5869): one file to
     * protect and back up, and knowing a derived key tells nothing about the master key or about
     * keys derived for other purposes. The caller wipes the returned bytes.
     *
     * @param purpose distinct per use, e.g. "credpool pool fingerprint v1"; changing it changes the key
     */
    public byte[] derive(String purpose, int length) {
        return Hkdf.sha256(key.getEncoded(), new byte[0], purpose.getBytes(java.nio.charset.StandardCharsets.UTF_8), length);
    }

    /** The AES key, for the store's ciphers only. */
    SecretKey secretKey() {
        return key;
    }

    @Override
    public String toString() {
        return "MasterKey[file=" + file + "]";
    }
}
