package io.credpool.scan;

import io.credpool.redact.SecretEncoding;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.SecretsProvider;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The secret values a workspace must not hold, in every encoding the scan looks for, with which
 * credential, version and encoding each pattern stands for. Held only until a scanner is
 * compiled from it; {@link #wipe()} zeroes the pattern bytes.
 */
public final class KnownSecrets {
    /**
     * Values shorter than this are not searched for: a 4-byte password would match all over a
     * repository. Reported as a note so the operator knows.
     */
    public static final int MIN_VALUE_BYTES = 8;

    /**
     * Padded base64 always contains the unpadded form, so searching for the unpadded one finds
     * both; the same holds for base64url.
     */
    static final List<SecretEncoding> ENCODINGS = List.of(SecretEncoding.RAW, SecretEncoding.BASE64_UNPADDED,
            SecretEncoding.BASE64URL_UNPADDED, SecretEncoding.HEX_LOWER, SecretEncoding.HEX_UPPER,
            SecretEncoding.FORM_URLENCODED, SecretEncoding.PERCENT_ENCODED);

    /** Which version of which credential a pattern stands for, and in which encoding. */
    public record Origin(String credential, String version, String encoding) {
    }

    private final List<byte[]> patterns;
    private final List<Origin> origins;
    private final List<String> notes;
    private final int versions;

    private KnownSecrets(List<byte[]> patterns, List<Origin> origins, List<String> notes, int versions) {
        this.patterns = patterns;
        this.origins = List.copyOf(origins);
        this.notes = List.copyOf(notes);
        this.versions = versions;
    }

    public static KnownSecrets none() {
        return new KnownSecrets(new ArrayList<>(), List.of(), List.of(), 0);
    }

    /**
     * Every version the scan must look for: each version that still has a label (current,
     * pending, previous), each secret's newest version, and each version replaced within
     * {@code retiredWithin} of {@code now}. A version counts as replaced when the next newer
     * version was created: providers do not all say when a label moved, and creation is what
     * every one of them reports.
     */
    public static KnownSecrets load(SecretsProvider provider, Duration retiredWithin, Instant now) {
        Map<String, List<SecretVersion>> byName = new LinkedHashMap<>();
        for (SecretVersion v : provider.list()) {
            byName.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(v);
        }
        Instant cutoff = now.minus(retiredWithin);
        List<SecretValue> values = new ArrayList<>();
        try {
            for (List<SecretVersion> versions : byName.values()) {
                for (int i = 0; i < versions.size(); i++) {
                    SecretVersion v = versions.get(i);
                    boolean wanted = i == 0 || !v.labels().isEmpty() || versions.get(i - 1).created().isAfter(cutoff);
                    if (wanted) {
                        values.add(provider.version(v.name(), v.versionId()));
                    }
                }
            }
            return of(values);
        } finally {
            values.forEach(SecretValue::wipe);
        }
    }

    /** The given values in every encoding; the values are not retained. */
    public static KnownSecrets of(List<SecretValue> values) {
        List<byte[]> patterns = new ArrayList<>();
        List<Origin> origins = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        // The same bytes from two encodings (RAW and FORM for a plain token) or two versions
        // (a value stored twice) are searched for once and reported as the first origin.
        Map<ByteBuffer, Integer> seen = new HashMap<>();
        for (SecretValue value : values) {
            byte[] raw = value.bytes();
            try {
                if (raw.length < MIN_VALUE_BYTES) {
                    notes.add("credential '" + value.name() + "' version " + value.version() + " is " + raw.length
                            + " bytes, shorter than " + MIN_VALUE_BYTES + ": not searched for (it would match everywhere)");
                    continue;
                }
                for (SecretEncoding encoding : ENCODINGS) {
                    byte[] encoded = encoding.encode(raw);
                    if (seen.putIfAbsent(ByteBuffer.wrap(encoded), patterns.size()) != null) {
                        Arrays.fill(encoded, (byte) 0);
                        continue;
                    }
                    patterns.add(encoded);
                    origins.add(new Origin(value.name(), value.version(), label(encoding)));
                }
            } finally {
                Arrays.fill(raw, (byte) 0);
            }
        }
        return new KnownSecrets(patterns, origins, notes, values.size());
    }

    private static String label(SecretEncoding e) {
        return switch (e) {
            case RAW -> "raw";
            case BASE64, BASE64_UNPADDED -> "base64";
            case BASE64URL, BASE64URL_UNPADDED -> "base64url";
            case HEX_LOWER, HEX_UPPER -> "hex";
            case FORM_URLENCODED, PERCENT_ENCODED -> "url-encoded";
        };
    }

    /** The pattern bytes, for compiling; wiped by {@link #wipe()}. */
    List<byte[]> patterns() {
        return patterns;
    }

    public Origin origin(int patternIndex) {
        return origins.get(patternIndex);
    }

    public int patternCount() {
        return origins.size();
    }

    /** How many secret versions are searched for. */
    public int versionCount() {
        return versions;
    }

    public List<String> notes() {
        return notes;
    }

    /** Zeroes the pattern bytes; the origins (names and versions) stay. */
    public void wipe() {
        patterns.forEach(p -> Arrays.fill(p, (byte) 0));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "KnownSecrets[versions=%d, patterns=%d]", versions, origins.size());
    }
}
