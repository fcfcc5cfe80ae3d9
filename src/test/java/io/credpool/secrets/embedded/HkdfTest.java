package io.credpool.secrets.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HkdfTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void rfc5869TestCase1IsReproduced() {
        byte[] okm = Hkdf.sha256(HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
                HEX.parseHex("000102030405060708090a0b0c"), HEX.parseHex("f0f1f2f3f4f5f6f7f8f9"), 42);
        assertThat(HEX.formatHex(okm)).isEqualTo(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    }

    @Test
    void rfc5869TestCase3WithoutSaltOrInfoIsReproduced() {
        byte[] okm = Hkdf.sha256(HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), new byte[0], new byte[0], 42);
        assertThat(HEX.formatHex(okm)).isEqualTo(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    }

    @Test
    void derivedKeysDifferByPurposeAndAreStablePerMasterKey(@TempDir Path dir) {
        MasterKey key = MasterKey.loadOrCreate(dir.resolve("master.key"));
        byte[] a = key.derive("credpool pool fingerprint v1", 32);
        assertThat(MasterKey.load(dir.resolve("master.key")).derive("credpool pool fingerprint v1", 32)).isEqualTo(a);
        assertThat(key.derive("something else", 32)).isNotEqualTo(a);
        assertThat(a).isNotEqualTo(key.secretKey().getEncoded());
    }
}
