package io.credpool.secrets.embedded;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF with HMAC-SHA256 (RFC 5869), which Java 17 lacks: two HMAC loops, checked against the
 * RFC's test vectors, rather than a new dependency for one function.
 */
final class Hkdf {
    private static final int HASH_LEN = 32;

    private Hkdf() {
    }

    static byte[] sha256(byte[] ikm, byte[] salt, byte[] info, int length) {
        if (length < 1 || length > 255 * HASH_LEN) {
            throw new IllegalArgumentException("HKDF-SHA256 output length must be 1.." + 255 * HASH_LEN + ", not " + length);
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            // RFC 5869 2.2: an absent salt is HashLen zero bytes.
            mac.init(new SecretKeySpec(salt.length == 0 ? new byte[HASH_LEN] : salt, "HmacSHA256"));
            byte[] prk = mac.doFinal(ikm);
            try {
                mac.init(new SecretKeySpec(prk, "HmacSHA256"));
                byte[] out = new byte[length];
                byte[] t = new byte[0];
                for (int i = 0, done = 0; done < length; i++) {
                    mac.update(t);
                    mac.update(info);
                    mac.update((byte) (i + 1));
                    Arrays.fill(t, (byte) 0);
                    t = mac.doFinal();
                    int n = Math.min(HASH_LEN, length - done);
                    System.arraycopy(t, 0, out, done, n);
                    done += n;
                }
                Arrays.fill(t, (byte) 0);
                return out;
            } finally {
                Arrays.fill(prk, (byte) 0);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks HmacSHA256", e);
        }
    }
}
