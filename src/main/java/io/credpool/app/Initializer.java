package io.credpool.app;

import io.credpool.secrets.embedded.MasterKey;
import io.credpool.store.Database;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Creates a credpool home: private directory, master key, state database, API token, example config. */
public final class Initializer {
    private Initializer() {
    }

    /** What init did; files that already existed are left untouched and not listed. */
    public record Result(CredpoolHome home, List<Path> created) {
    }

    public static Result init(CredpoolHome home) {
        List<Path> created = new ArrayList<>();
        try {
            if (!Files.isDirectory(home.root())) {
                Files.createDirectories(home.root(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                created.add(home.root());
            }
            for (Path dir : List.of(home.stateDir(), home.libDir(), home.logsDir())) {
                if (!Files.isDirectory(dir)) {
                    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                }
            }
            if (!Files.exists(home.masterKey())) {
                MasterKey.loadOrCreate(home.masterKey());
                created.add(home.masterKey());
            } else {
                MasterKey.load(home.masterKey());
            }
            boolean freshDb = !Files.exists(home.stateDir().resolve(Database.FILE_NAME));
            try (Database db = Database.open(home.stateDir())) {
                if (freshDb) {
                    created.add(home.stateDir().resolve(Database.FILE_NAME));
                }
            }
            if (writeIfAbsent(home.apiToken(), newToken(), "rw-------")) {
                created.add(home.apiToken());
            }
            if (writeIfAbsent(home.config(), exampleConfig(), "rw-------")) {
                created.add(home.config());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot initialize " + home.root() + ": " + e.getMessage(), e);
        }
        return new Result(home, created);
    }

    /** The example config shipped in the jar, also used by the demo. */
    public static byte[] exampleConfig() {
        try (InputStream in = Initializer.class.getResourceAsStream("/io/credpool/app/example-credpool.yaml")) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] newToken() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return (Base64.getUrlEncoder().withoutPadding().encodeToString(b) + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static boolean writeIfAbsent(Path file, byte[] content, String mode) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
        } catch (FileAlreadyExistsException e) {
            return false;
        }
        Files.write(file, content, StandardOpenOption.TRUNCATE_EXISTING);
        return true;
    }
}
