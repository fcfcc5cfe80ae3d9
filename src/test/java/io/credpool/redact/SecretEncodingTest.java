package io.credpool.redact;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretEncodingTest {

    private static String encode(SecretEncoding e, String value) {
        return new String(e.encode(value.getBytes(UTF_8)), UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "with space", "p@ss/w+rd=?&#", "ünïcödé ☃", ".-*_~!'()", ""})
    void formEncodingMatchesJavaUrlEncoder(String value) {
        assertThat(encode(SecretEncoding.FORM_URLENCODED, value)).isEqualTo(URLEncoder.encode(value, UTF_8));
    }

    @Test
    void percentEncodingFollowsRfc3986() {
        assertThat(encode(SecretEncoding.PERCENT_ENCODED, "a b~c*d+é")).isEqualTo("a%20b~c%2Ad%2B%C3%A9");
    }

    @Test
    void formEncodingTurnsSpaceIntoPlus() {
        assertThat(encode(SecretEncoding.FORM_URLENCODED, "a b~c")).isEqualTo("a+b%7Ec");
    }

    @Test
    void hexIsLowerAndUpperCase() {
        byte[] value = {0x00, (byte) 0xab, 0x7f, (byte) 0xff};

        assertThat(new String(SecretEncoding.HEX_LOWER.encode(value), UTF_8)).isEqualTo(HexFormat.of().formatHex(value));
        assertThat(new String(SecretEncoding.HEX_UPPER.encode(value), UTF_8))
                .isEqualTo(HexFormat.of().withUpperCase().formatHex(value));
    }

    @Test
    void base64VariantsMatchTheJdkEncoders() {
        byte[] value = {(byte) 0xfb, (byte) 0xff, 0x01, 0x02};

        assertThat(SecretEncoding.BASE64.encode(value)).isEqualTo(Base64.getEncoder().encode(value));
        assertThat(new String(SecretEncoding.BASE64.encode(value), UTF_8)).isEqualTo("+/8BAg==");
        assertThat(new String(SecretEncoding.BASE64_UNPADDED.encode(value), UTF_8)).isEqualTo("+/8BAg");
        assertThat(new String(SecretEncoding.BASE64URL.encode(value), UTF_8)).isEqualTo("-_8BAg==");
        assertThat(new String(SecretEncoding.BASE64URL_UNPADDED.encode(value), UTF_8)).isEqualTo("-_8BAg");
    }

    @Test
    void percentEncodingOfInvalidUtf8EncodesEachByte() {
        byte[] value = {(byte) 0xc3, 'x', (byte) 0xff};

        assertThat(new String(SecretEncoding.PERCENT_ENCODED.encode(value), UTF_8)).isEqualTo("%C3x%FF");
    }

    @Test
    void rawReturnsACopyTheCallerMayWipe() {
        byte[] value = {1, 2, 3};
        byte[] raw = SecretEncoding.RAW.encode(value);
        raw[0] = 9;

        assertThat(value).containsExactly(1, 2, 3);
    }
}
