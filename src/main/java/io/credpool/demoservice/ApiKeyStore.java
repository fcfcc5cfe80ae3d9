package io.credpool.demoservice;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The demo service's API keys, in memory: issued per idempotency key, checked, revoked.
 *
 * <p>A key is derived from its idempotency key with a secret made at start (HMAC), so a repeated
 * request gets the same key back while the store keeps only each key's SHA-256. A restart
 * forgets every key: it is a demo service.
 */
public final class ApiKeyStore {
    private static final String PREFIX = "cpk_";

    /** One issued key; {@code key} is present only in the answer to the request that issued it (or its replays). */
    public record Issued(String id, String key, boolean replayed) {
        @Override
        public String toString() {
            return "Issued[id=" + id + ", replayed=" + replayed + "]";
        }
    }

    private record Entry(String id, String hash, boolean revoked) {
    }

    private final SecretKeySpec derivation;
    private final Map<String, Entry> byIdempotencyKey = new HashMap<>();
    private final Map<String, String> idempotencyKeyById = new HashMap<>();
    private final Map<String, String> idempotencyKeyByHash = new HashMap<>();

    public ApiKeyStore() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        this.derivation = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** Issues the key for {@code idempotencyKey}, or answers the same key again. */
    public synchronized Issued issue(String idempotencyKey) {
        String key = derive(idempotencyKey);
        Entry e = byIdempotencyKey.get(idempotencyKey);
        if (e != null) {
            return new Issued(e.id(), key, true);
        }
        String hash = sha256(key);
        String id = "key_" + hash.substring(0, 16);
        byIdempotencyKey.put(idempotencyKey, new Entry(id, hash, false));
        idempotencyKeyById.put(id, idempotencyKey);
        idempotencyKeyByHash.put(hash, idempotencyKey);
        return new Issued(id, key, false);
    }

    /** The id of a valid key, or empty if it is unknown or revoked. */
    public synchronized Optional<String> check(String key) {
        String idem = idempotencyKeyByHash.get(sha256(key));
        Entry e = idem == null ? null : byIdempotencyKey.get(idem);
        // Compare the derived key too, in constant time, rather than trust a hash-map hit alone.
        if (e == null || e.revoked() || !MessageDigest.isEqual(derive(idem).getBytes(StandardCharsets.UTF_8),
                key.getBytes(StandardCharsets.UTF_8))) {
            return Optional.empty();
        }
        return Optional.of(e.id());
    }

    /** Revokes by id; false if no such key was ever issued. Revoking twice is fine. */
    public synchronized boolean revokeById(String id) {
        return revoke(idempotencyKeyById.get(id));
    }

    /** Revokes by the key's hex SHA-256, so a client need not send the key itself. */
    public synchronized boolean revokeByHash(String sha256Hex) {
        return revoke(idempotencyKeyByHash.get(sha256Hex.toLowerCase(java.util.Locale.ROOT)));
    }

    private boolean revoke(String idem) {
        Entry e = idem == null ? null : byIdempotencyKey.get(idem);
        if (e == null) {
            return false;
        }
        byIdempotencyKey.put(idem, new Entry(e.id(), e.hash(), true));
        return true;
    }

    private String derive(String idempotencyKey) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(derivation);
            return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(idempotencyKey.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("the JDK lacks HmacSHA256", e);
        }
    }

    /** The hex SHA-256 of a key, as used to revoke by hash. */
    public static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
