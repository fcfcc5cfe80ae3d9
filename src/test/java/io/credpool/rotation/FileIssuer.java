package io.credpool.rotation;

import io.credpool.issuer.CredentialIssuer;
import io.credpool.secrets.SecretValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * An issuer double whose state is files, so that it outlives a killed process: live/HASH for each
 * working credential, revoked/HASH once revoked, created/ROTATION for each create that took effect.
 * It keeps hashes only. Issues the proposed value, idempotently per rotation id.
 */
final class FileIssuer implements CredentialIssuer {
    private final Path dir;

    FileIssuer(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir.resolve("live"));
            Files.createDirectories(dir.resolve("revoked"));
            Files.createDirectories(dir.resolve("created"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void seed(String value) {
        touch(dir.resolve("live").resolve(FakeIssuer.hash(value)));
    }

    Set<String> live() {
        return names("live");
    }

    Set<String> revoked() {
        return names("revoked");
    }

    Set<String> creates() {
        return names("created");
    }

    @Override
    public String kind() {
        return "file";
    }

    @Override
    public SecretValue create(String credential, String rotationId, SecretValue proposed, Optional<SecretValue> current) {
        String h = FakeIssuer.hash(proposed);
        if (!Files.exists(dir.resolve("revoked").resolve(h))) {
            touch(dir.resolve("live").resolve(h));
        }
        touch(dir.resolve("created").resolve(rotationId));
        return SecretValue.of(credential, "issued", proposed.bytes());
    }

    @Override
    public void verify(String credential, SecretValue value) {
        if (!Files.exists(dir.resolve("live").resolve(FakeIssuer.hash(value)))) {
            throw new io.credpool.issuer.IssuerException(io.credpool.issuer.IssuerException.Kind.REJECTED,
                    "'" + credential + "' does not authenticate", null);
        }
    }

    @Override
    public void revoke(String credential, SecretValue value) {
        String h = FakeIssuer.hash(value);
        touch(dir.resolve("revoked").resolve(h));
        try {
            Files.deleteIfExists(dir.resolve("live").resolve(h));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Set<String> names(String sub) {
        try (Stream<Path> s = Files.list(dir.resolve(sub))) {
            return new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void touch(Path p) {
        try {
            if (!Files.exists(p)) {
                Files.writeString(p, "");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
