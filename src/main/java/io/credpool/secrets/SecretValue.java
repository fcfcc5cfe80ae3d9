package io.credpool.secrets;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A secret's bytes, tagged with its credential name and version id, that never prints its value.
 *
 * <p>{@code toString()} shows only a short SHA-256 prefix, enough to tell two versions apart in a
 * log without revealing either. {@link #wipe()} zeroes the bytes; any later read fails.
 */
public final class SecretValue implements AutoCloseable {
    /** The largest value credpool accepts: values become environment variables. */
    public static final int MAX_BYTES = 64 * 1024;

    private final String name;
    private final String version;
    private final byte[] bytes;
    private final String digestPrefix;
    private volatile boolean wiped;

    private SecretValue(String name, String version, byte[] bytes) {
        this.name = Objects.requireNonNull(name, "name");
        this.version = Objects.requireNonNull(version, "version");
        this.bytes = bytes;
        this.digestPrefix = HexFormat.of().formatHex(sha256(bytes), 0, 4);
    }

    /** Copies {@code value}; the caller may wipe its own array afterwards. */
    public static SecretValue of(String name, String version, byte[] value) {
        Objects.requireNonNull(value, "value");
        if (value.length > MAX_BYTES) {
            throw new IllegalArgumentException("secret '" + name + "' is " + value.length
                    + " bytes; the limit is " + MAX_BYTES + " bytes");
        }
        return new SecretValue(name, version, value.clone());
    }

    public String name() {
        return name;
    }

    public String version() {
        return version;
    }

    public int length() {
        return checked().length;
    }

    /** A copy of the value; wipe it when done. */
    public byte[] bytes() {
        return checked().clone();
    }

    /**
     * The value as text for an environment variable. Environment variables are C strings, so a
     * value with a NUL byte or invalid UTF-8 cannot be injected faithfully and is rejected.
     */
    public String asEnvironmentValue() {
        byte[] b = checked();
        for (byte x : b) {
            if (x == 0) {
                throw new IllegalStateException("secret '" + name + "' version " + version
                        + " contains a NUL byte and cannot be an environment variable");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("secret '" + name + "' version " + version
                    + " is not valid UTF-8 and cannot be an environment variable");
        }
    }

    /** True when both hold the same bytes; constant time in the length. */
    public boolean sameValueAs(SecretValue other) {
        return MessageDigest.isEqual(checked(), other.checked());
    }

    public boolean isWiped() {
        return wiped;
    }

    /** Zeroes the bytes. Idempotent. */
    public void wipe() {
        wiped = true;
        Arrays.fill(bytes, (byte) 0);
    }

    @Override
    public void close() {
        wipe();
    }

    @Override
    public String toString() {
        return "SecretValue[name=" + name + ", version=" + version + ", sha256=" + digestPrefix + "…]";
    }

    private byte[] checked() {
        if (wiped) {
            throw new IllegalStateException("secret '" + name + "' version " + version + " was wiped");
        }
        return bytes;
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
