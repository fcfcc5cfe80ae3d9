package io.credpool.secrets.github;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.bouncycastle.crypto.engines.Salsa20Engine;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.bouncycastle.util.Pack;

/**
 * libsodium's {@code crypto_box_seal}, which GitHub requires for secret values: an ephemeral
 * X25519 key pair, nonce = BLAKE2b-192(ephemeral pk || recipient pk), and crypto_box
 * (X25519 + HSalsa20 key, XSalsa20-Poly1305) of the message. Output: ephemeral pk (32 bytes) ||
 * Poly1305 tag (16) || ciphertext. Built from Bouncy Castle primitives; libsodium itself is not
 * on the classpath.
 */
public final class SealedBox {
    public static final int KEY_BYTES = 32;
    public static final int OVERHEAD = 32 + 16;
    private static final byte[] SIGMA = "expand 32-byte k".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private SealedBox() {
    }

    /** Seals {@code message} to {@code recipientPublicKey}; only the holder of its private key can open it. */
    public static byte[] seal(byte[] message, byte[] recipientPublicKey, SecureRandom random) {
        if (recipientPublicKey.length != KEY_BYTES) {
            throw new IllegalArgumentException("an X25519 public key is 32 bytes, not " + recipientPublicKey.length);
        }
        X25519PrivateKeyParameters ephemeral = new X25519PrivateKeyParameters(random);
        byte[] epk = ephemeral.generatePublicKey().getEncoded();
        byte[] box = box(message, nonce(epk, recipientPublicKey), recipientPublicKey, ephemeral);
        byte[] out = new byte[KEY_BYTES + box.length];
        System.arraycopy(epk, 0, out, 0, KEY_BYTES);
        System.arraycopy(box, 0, out, KEY_BYTES, box.length);
        return out;
    }

    /** crypto_box_easy: tag || ciphertext of {@code m} from {@code sk} to {@code pk}. */
    static byte[] box(byte[] m, byte[] nonce, byte[] pk, X25519PrivateKeyParameters sk) {
        byte[] key = boxKey(sk, pk);
        try {
            return secretbox(m, nonce, key);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** Opens a sealed box ({@code crypto_box_seal_open}); for tests and for checking a round trip. */
    public static byte[] open(byte[] sealed, byte[] recipientPublicKey, byte[] recipientPrivateKey) throws GeneralSecurityException {
        if (sealed.length < OVERHEAD) {
            throw new GeneralSecurityException("a sealed box is at least " + OVERHEAD + " bytes");
        }
        byte[] epk = Arrays.copyOf(sealed, KEY_BYTES);
        byte[] key = boxKey(new X25519PrivateKeyParameters(recipientPrivateKey), epk);
        try {
            byte[] nonce = nonce(epk, recipientPublicKey);
            byte[] tag = Arrays.copyOfRange(sealed, KEY_BYTES, KEY_BYTES + 16);
            byte[] c = Arrays.copyOfRange(sealed, KEY_BYTES + 16, sealed.length);
            XSalsa20Engine s = new XSalsa20Engine();
            s.init(false, new ParametersWithIV(new KeyParameter(key), nonce));
            byte[] polyKey = new byte[32];
            s.processBytes(new byte[32], 0, 32, polyKey, 0);
            if (!MessageDigest.isEqual(tag, poly1305(polyKey, c))) {
                throw new GeneralSecurityException("sealed box authentication failed");
            }
            byte[] m = new byte[c.length];
            s.processBytes(c, 0, c.length, m, 0);
            return m;
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /** crypto_box_beforenm: HSalsa20(X25519(sk, pk), 16 zero bytes). */
    static byte[] boxKey(X25519PrivateKeyParameters sk, byte[] pk) {
        X25519Agreement agreement = new X25519Agreement();
        agreement.init(sk);
        byte[] shared = new byte[32];
        agreement.calculateAgreement(new X25519PublicKeyParameters(pk, 0), shared, 0);
        try {
            return hsalsa20(shared, new byte[16]);
        } finally {
            Arrays.fill(shared, (byte) 0);
        }
    }

    /** HSalsa20: the Salsa20 core without the final addition, words 0,5,10,15,6,7,8,9 out. */
    static byte[] hsalsa20(byte[] key, byte[] in16) {
        int[] state = new int[16];
        state[0] = Pack.littleEndianToInt(SIGMA, 0);
        state[5] = Pack.littleEndianToInt(SIGMA, 4);
        state[10] = Pack.littleEndianToInt(SIGMA, 8);
        state[15] = Pack.littleEndianToInt(SIGMA, 12);
        Pack.littleEndianToInt(key, 0, state, 1, 4);
        Pack.littleEndianToInt(key, 16, state, 11, 4);
        Pack.littleEndianToInt(in16, 0, state, 6, 4);
        int[] x = new int[16];
        // salsaCore adds the input back at the end; HSalsa20 does not, so subtract it again.
        Salsa20Engine.salsaCore(20, state, x);
        int[] words = {0, 5, 10, 15, 6, 7, 8, 9};
        byte[] out = new byte[32];
        for (int i = 0; i < 8; i++) {
            Pack.intToLittleEndian(x[words[i]] - state[words[i]], out, i * 4);
        }
        Arrays.fill(state, 0);
        Arrays.fill(x, 0);
        return out;
    }

    /** crypto_secretbox: tag || XSalsa20(m), the first 32 keystream bytes keying Poly1305. */
    private static byte[] secretbox(byte[] m, byte[] nonce, byte[] key) {
        XSalsa20Engine s = new XSalsa20Engine();
        s.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] polyKey = new byte[32];
        s.processBytes(new byte[32], 0, 32, polyKey, 0);
        byte[] c = new byte[m.length];
        s.processBytes(m, 0, m.length, c, 0);
        byte[] tag = poly1305(polyKey, c);
        Arrays.fill(polyKey, (byte) 0);
        byte[] out = new byte[16 + c.length];
        System.arraycopy(tag, 0, out, 0, 16);
        System.arraycopy(c, 0, out, 16, c.length);
        return out;
    }

    private static byte[] poly1305(byte[] key, byte[] data) {
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(key));
        mac.update(data, 0, data.length);
        byte[] tag = new byte[16];
        mac.doFinal(tag, 0);
        return tag;
    }

    static byte[] nonce(byte[] epk, byte[] pk) {
        Blake2bDigest d = new Blake2bDigest(24 * 8);
        d.update(epk, 0, epk.length);
        d.update(pk, 0, pk.length);
        byte[] n = new byte[24];
        d.doFinal(n, 0);
        return n;
    }
}
