package io.credpool.rotation;

import io.credpool.secrets.SecretValue;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts the values a rotation must not lose (its proposed and issued value) for the journal:
 * AES-256-GCM under a key derived from the master key for this purpose only, with the rotation id
 * and field as associated data so a ciphertext copied to another row or field does not decrypt.
 */
public final class JournalCipher {
    /** The HKDF purpose under which the master key derives this key. */
    public static final String KEY_PURPOSE = "credpool rotation journal v1";
    private static final int NONCE_BYTES = 12;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    /** Copies {@code key} (32 bytes); the caller wipes its array. */
    public JournalCipher(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("the rotation journal key must be 32 bytes");
        }
        this.key = new SecretKeySpec(key.clone(), "AES");
    }

    /** Nonce and ciphertext, base64. */
    public record Sealed(String nonce, String ciphertext) {
        @Override
        public String toString() {
            return "Sealed[" + ciphertext.length() + " chars]";
        }
    }

    Sealed seal(String rotationId, String field, SecretValue value) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        byte[] plain = value.bytes();
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            c.updateAAD(aad(rotationId, field));
            return new Sealed(Base64.getEncoder().encodeToString(nonce), Base64.getEncoder().encodeToString(c.doFinal(plain)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt the " + field + " value of rotation " + rotationId + ": " + e, e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    SecretValue open(String rotationId, String field, Sealed sealed, String credential, String version) {
        byte[] plain = null;
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, Base64.getDecoder().decode(sealed.nonce())));
            c.updateAAD(aad(rotationId, field));
            plain = c.doFinal(Base64.getDecoder().decode(sealed.ciphertext()));
            return SecretValue.of(credential, version, plain);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the " + field + " value journaled for rotation " + rotationId + " of '" + credential
                    + "' does not decrypt: the journal was written under another master key or was altered", e);
        } finally {
            if (plain != null) {
                Arrays.fill(plain, (byte) 0);
            }
        }
    }

    private static byte[] aad(String rotationId, String field) {
        return ("credpool-rotation-v1|" + rotationId + "|" + field).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "JournalCipher[AES-256-GCM]";
    }
}
