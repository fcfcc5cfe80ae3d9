package io.credpool.sandbox.microvm;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A guest memory snapshot on disk, encrypted with AES-256-GCM under a key that exists only in this
 * object. A snapshot of a guest that holds a secret contains it in plaintext many times over, so
 * the file alone must be worthless: forgetting the key (and deleting the file) destroys it.
 *
 * <p>Format: a magic line, then chunks {@code [u32 flags|length][ciphertext + 16-byte tag]}. Each
 * chunk's nonce is its index (the key is used for this one snapshot only, so counters never
 * repeat under a key) and its header is authenticated, so chunks cannot be reordered, dropped or
 * cut off after the last one without the restore failing.
 */
final class EncryptedSnapshot implements Snapshot {
    private static final byte[] MAGIC = "credpool-snapshot/1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int CHUNK = 1 << 20;
    private static final int LAST = 0x8000_0000;
    private static final int TAG_BITS = 128;

    private final Path file;
    private final byte[] key;

    private EncryptedSnapshot(Path file, byte[] key) {
        this.file = file;
        this.key = key;
    }

    /** Reads QEMU's migration stream from {@code in} to its end and stores it encrypted in {@code file}. */
    static EncryptedSnapshot write(Path file, InputStream in, SecureRandom random) throws IOException {
        byte[] key = new byte[32];
        random.nextBytes(key);
        EncryptedSnapshot snapshot = new EncryptedSnapshot(file, key);
        try (OutputStream raw = Files.newOutputStream(Files.createFile(file,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))));
             DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(raw, 1 << 16))) {
            out.write(MAGIC);
            byte[] buf = new byte[CHUNK];
            byte[] next = new byte[CHUNK];
            int n = in.readNBytes(buf, 0, CHUNK);
            long index = 0;
            // Read one chunk ahead so that the last one can be marked as last.
            for (;;) {
                int m = n == CHUNK ? in.readNBytes(next, 0, CHUNK) : 0;
                boolean last = m == 0;
                int header = (last ? LAST : 0) | n;
                out.writeInt(header);
                out.write(snapshot.cipher(Cipher.ENCRYPT_MODE, index++, header).doFinal(buf, 0, n));
                if (last) {
                    break;
                }
                byte[] t = buf;
                buf = next;
                next = t;
                n = m;
            }
            Arrays.fill(buf, (byte) 0);
            Arrays.fill(next, (byte) 0);
        } catch (IOException | RuntimeException e) {
            snapshot.delete();
            throw e;
        } catch (GeneralSecurityException e) {
            snapshot.delete();
            throw new IllegalStateException("AES-GCM is unavailable in this JDK", e);
        }
        return snapshot;
    }

    /** Decrypts the snapshot into {@code out}; fails on any tampering or truncation. */
    @Override
    public void readTo(OutputStream out) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException("snapshot " + file + " is not a credpool snapshot");
            }
            byte[] buf = new byte[CHUNK + TAG_BITS / 8];
            for (long index = 0;; index++) {
                int header;
                try {
                    header = in.readInt();
                } catch (EOFException e) {
                    throw new IOException("snapshot " + file + " is truncated", e);
                }
                int len = (header & ~LAST) + TAG_BITS / 8;
                if (len > buf.length || in.readNBytes(buf, 0, len) < len) {
                    throw new IOException("snapshot " + file + " is truncated or corrupt");
                }
                byte[] plain = cipher(Cipher.DECRYPT_MODE, index, header).doFinal(buf, 0, len);
                out.write(plain);
                Arrays.fill(plain, (byte) 0);
                if ((header & LAST) != 0) {
                    return;
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("snapshot " + file + " failed authentication: it was modified or is not ours", e);
        }
    }

    Path file() {
        return file;
    }

    @Override
    public long size() {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    /** Forgets the key and deletes the file: without the key, any copy of the file is noise. */
    @Override
    public void delete() {
        Arrays.fill(key, (byte) 0);
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the key is gone, which is what matters; a leftover file is unreadable
        }
    }

    private Cipher cipher(int mode, long index, int header) throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        byte[] nonce = ByteBuffer.allocate(12).putInt(0).putLong(index).array();
        c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
        c.updateAAD(ByteBuffer.allocate(12).putLong(index).putInt(header).array());
        return c;
    }
}
