package io.credpool.pool;

import io.credpool.secrets.SecretValue;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Computes {@link Fingerprint}s under one per-install key (derived from the master key, see Credpool). */
public final class Fingerprinter {
    /** The HKDF purpose string; changing it changes every fingerprint. */
    public static final String KEY_PURPOSE = "credpool pool fingerprint v1";

    private final SecretKeySpec key;

    /** Copies {@code key}; the caller may wipe its array. */
    public Fingerprinter(byte[] key) {
        if (key.length < 32) {
            throw new IllegalArgumentException("a fingerprint key needs at least 32 bytes, not " + key.length);
        }
        this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    public Fingerprint of(SecretValue value) {
        byte[] bytes = value.bytes();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return new Fingerprint(value.name(), value.version(), HexFormat.of().formatHex(mac.doFinal(bytes)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks HmacSHA256", e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return "Fingerprinter[HMAC-SHA256]";
    }
}
