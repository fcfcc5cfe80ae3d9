package io.credpool.redact;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The shapes in which a secret commonly leaks from a program: each encodes the value's bytes the
 * way a tool or library would before printing them.
 *
 * <p>Encoders return fresh byte arrays (never Strings) so callers can wipe them.
 */
public enum SecretEncoding {
    RAW,
    BASE64,
    BASE64_UNPADDED,
    BASE64URL,
    BASE64URL_UNPADDED,
    HEX_LOWER,
    HEX_UPPER,
    /** What {@link java.net.URLEncoder#encode(String, java.nio.charset.Charset)} makes of the UTF-8 bytes. */
    FORM_URLENCODED,
    /** RFC 3986 percent-encoding: only unreserved characters stay, a space becomes %20. */
    PERCENT_ENCODED;

    private static final byte[] HEX_LOWER_DIGITS = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX_UPPER_DIGITS = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    public byte[] encode(byte[] value) {
        return switch (this) {
            case RAW -> value.clone();
            case BASE64 -> Base64.getEncoder().encode(value);
            case BASE64_UNPADDED -> Base64.getEncoder().withoutPadding().encode(value);
            case BASE64URL -> Base64.getUrlEncoder().encode(value);
            case BASE64URL_UNPADDED -> Base64.getUrlEncoder().withoutPadding().encode(value);
            case HEX_LOWER -> hex(value, HEX_LOWER_DIGITS);
            case HEX_UPPER -> hex(value, HEX_UPPER_DIGITS);
            case FORM_URLENCODED -> percentEncode(value, true);
            case PERCENT_ENCODED -> percentEncode(value, false);
        };
    }

    private static byte[] hex(byte[] value, byte[] digits) {
        byte[] out = new byte[value.length * 2];
        for (int i = 0; i < value.length; i++) {
            out[2 * i] = digits[(value[i] >> 4) & 0xf];
            out[2 * i + 1] = digits[value[i] & 0xf];
        }
        return out;
    }

    /**
     * Byte-wise, so a value that is not valid UTF-8 is still encoded the way a byte-oriented tool
     * would; for valid UTF-8 this equals URLEncoder's output (form) or RFC 3986's (not form).
     */
    private static byte[] percentEncode(byte[] value, boolean form) {
        int size = 0;
        for (byte b : value) {
            size += keptAsIs(b, form) || (form && b == ' ') ? 1 : 3;
        }
        byte[] out = new byte[size];
        int o = 0;
        for (byte b : value) {
            if (keptAsIs(b, form)) {
                out[o++] = b;
            } else if (form && b == ' ') {
                out[o++] = '+';
            } else {
                out[o++] = '%';
                out[o++] = HEX_UPPER_DIGITS[(b >> 4) & 0xf];
                out[o++] = HEX_UPPER_DIGITS[b & 0xf];
            }
        }
        return out;
    }

    private static boolean keptAsIs(byte b, boolean form) {
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) {
            return true;
        }
        // URLEncoder keeps ".-*_"; RFC 3986 unreserved is "-._~".
        return form ? b == '.' || b == '-' || b == '*' || b == '_' : b == '.' || b == '-' || b == '_' || b == '~';
    }
}
