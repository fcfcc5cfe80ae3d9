package io.credpool.secrets.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.junit.jupiter.api.Test;

/** crypto_box_seal checked against NaCl's published crypto_box test vector, then round trips. */
class SealedBoxTest {
    private static final HexFormat HEX = HexFormat.of();
    // From "Cryptography in NaCl" (Bernstein), used by libsodium's tests: Alice's secret key, Bob's public key.
    private static final byte[] ALICE_SK = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    private static final byte[] BOB_PK = HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    private static final byte[] NONCE = HEX.parseHex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
    private static final byte[] MESSAGE = HEX.parseHex(
            "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f4"
            + "1db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52"
            + "f0a089bc76897040e082f9377638486" + "45e0705");
    private static final byte[] BOX = HEX.parseHex(
            "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b"
            + "4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da"
            + "99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5");

    @Test
    void cryptoBoxMatchesNaclsTestVector() {
        byte[] box = SealedBox.box(MESSAGE, NONCE, BOB_PK, new X25519PrivateKeyParameters(ALICE_SK));
        assertThat(HEX.formatHex(box)).isEqualTo(HEX.formatHex(BOX));
    }

    @Test
    void hsalsa20OfTheSharedSecretIsNaclsFirstKey() {
        byte[] shared = HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assertThat(HEX.formatHex(SealedBox.hsalsa20(shared, new byte[16])))
                .isEqualTo("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
    }

    @Test
    void aSealedBoxOpensWithTheRecipientsKeyOnly() throws Exception {
        SecureRandom random = new SecureRandom();
        X25519PrivateKeyParameters recipient = new X25519PrivateKeyParameters(random);
        byte[] pk = recipient.generatePublicKey().getEncoded();
        byte[] message = "npm_0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] sealed = SealedBox.seal(message, pk, random);
        assertThat(sealed).hasSize(message.length + SealedBox.OVERHEAD);
        assertThat(SealedBox.open(sealed, pk, recipient.getEncoded())).isEqualTo(message);
        // Fresh ephemeral key each time: the same value never seals to the same bytes.
        assertThat(SealedBox.seal(message, pk, random)).isNotEqualTo(sealed);

        X25519PrivateKeyParameters other = new X25519PrivateKeyParameters(random);
        assertThatThrownBy(() -> SealedBox.open(sealed, pk, other.getEncoded())).isInstanceOf(GeneralSecurityException.class);
        sealed[sealed.length - 1] ^= 1;
        assertThatThrownBy(() -> SealedBox.open(sealed, pk, recipient.getEncoded())).isInstanceOf(GeneralSecurityException.class);
    }
}
