package io.credpool.rotation;

import io.credpool.issuer.CredentialIssuer;
import io.credpool.issuer.IssuerException;
import io.credpool.secrets.SecretValue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An issuer in memory that remembers, by SHA-256, which values are live and when each was revoked,
 * so a test can tell whether a task held a value that no longer worked. Issues the proposed value.
 */
final class FakeIssuer implements CredentialIssuer {
    final Set<String> live = ConcurrentHashMap.newKeySet();
    final Map<String, Instant> revokedAt = new ConcurrentHashMap<>();
    final Map<String, String> byRotation = new ConcurrentHashMap<>();
    final AtomicInteger creates = new AtomicInteger();
    volatile boolean unavailable;
    volatile boolean rejectVerify;

    static String hash(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String hash(SecretValue v) {
        return hash(v.asEnvironmentValue());
    }

    void seed(String value) {
        live.add(hash(value));
    }

    @Override
    public String kind() {
        return "fake";
    }

    @Override
    public SecretValue create(String credential, String rotationId, SecretValue proposed, Optional<SecretValue> current) {
        down(credential);
        String h = hash(proposed);
        String before = byRotation.putIfAbsent(rotationId, h);
        if (before == null) {
            creates.incrementAndGet();
            live.add(h);
        }
        return SecretValue.of(credential, "issued", proposed.bytes());
    }

    @Override
    public void verify(String credential, SecretValue value) {
        down(credential);
        if (rejectVerify || !live.contains(hash(value))) {
            throw new IssuerException(IssuerException.Kind.REJECTED, "'" + credential + "' does not authenticate", null);
        }
    }

    @Override
    public void revoke(String credential, SecretValue value) {
        down(credential);
        String h = hash(value);
        if (live.remove(h)) {
            revokedAt.put(h, Instant.now());
        }
    }

    private void down(String credential) {
        if (unavailable) {
            throw new IssuerException(IssuerException.Kind.UNAVAILABLE, "fake issuer of '" + credential + "' is down", null);
        }
    }
}
