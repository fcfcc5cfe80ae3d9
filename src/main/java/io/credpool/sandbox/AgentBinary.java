package io.credpool.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The guest agent executable, shipped inside the jar and extracted once into a cache directory
 * under a name that carries its content hash, so that concurrent or repeated installs never see a
 * half-written or stale binary.
 */
public final class AgentBinary {
    /** Where the build puts the statically linked agent (see pom.xml). */
    public static final String RESOURCE = "/io/credpool/sandbox/credpool-agent";

    private AgentBinary() {
    }

    /**
     * Returns the path of the extracted agent in {@code cacheDir}, extracting it first if needed.
     *
     * @throws SandboxException if the jar has no agent or the directory cannot be written
     */
    public static Path extractTo(Path cacheDir) {
        byte[] content = load();
        String hash = HexFormat.of().formatHex(sha256(content), 0, 8);
        Path target = cacheDir.resolve("credpool-agent-" + hash);
        try {
            if (Files.isRegularFile(target) && Files.size(target) == content.length && Files.isExecutable(target)) {
                return target;
            }
            Files.createDirectories(cacheDir);
            Path temp = Files.createTempFile(cacheDir, ".credpool-agent-", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            try {
                Files.write(temp, content);
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
                    // Another process won the race with identical content: theirs is as good as ours.
                    if (!Files.isRegularFile(target)) {
                        throw e;
                    }
                }
            } finally {
                Files.deleteIfExists(temp);
            }
            return target;
        } catch (IOException | UncheckedIOException e) {
            throw new SandboxException("cannot install the sandbox agent into " + cacheDir + ": " + e.getMessage()
                    + "; check that the directory is writable", e);
        }
    }

    /** The agent's bytes, for images that embed it (the microVM initramfs). */
    public static byte[] content() {
        return load();
    }

    private static byte[] load() {
        try (InputStream in = AgentBinary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new SandboxException("the sandbox agent " + RESOURCE + " is missing from the classpath;"
                        + " rebuild with 'mvn package' on a machine with gcc and static glibc (libc6-dev)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new SandboxException("cannot read the sandbox agent " + RESOURCE + ": " + e.getMessage(), e);
        }
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
