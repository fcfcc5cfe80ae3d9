package io.credpool.redact;

import io.credpool.secrets.SecretValue;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Replaces every occurrence of a credential's value, in any {@link SecretEncoding}, by
 * {@code ***NAME***}; one-shot here, streaming through {@link RedactingSink}.
 *
 * <p><b>Which match wins.</b> Scanning left to right, the match that starts first wins, and among
 * those starting at the same byte the longest. A match that overlaps the tail of an earlier winner
 * still hides its remaining bytes, under its own marker, so no byte of any occurrence survives and
 * the output contains no complete form of any value.
 *
 * <p><b>Short values.</b> Every non-empty value is redacted, however short, because leaking a short
 * secret is worse than mangling output. The cost is false positives: a 2-byte value such as
 * {@code "42"} also hides every "42" in unrelated text, and its hex form {@code "3432"} every
 * "3432". Values under {@link #RECOMMENDED_MIN_LENGTH} bytes are listed by
 * {@link #namesWithShortValues()} so the caller can warn. Empty values are ignored.
 *
 * <p><b>Markers are not rescanned.</b> A value that occurs in the marker text itself (a value of
 * "***", or "KEN" for a credential named TOKEN) can reappear through a marker; credential names
 * are environment variable names, so in practice this means a value that is a piece of a name.
 *
 * <p>Several credentials may share a name (the current and previous version during rotation);
 * when two credentials have an identical form, the first one given names the marker. The derived
 * forms are wiped after compiling; only the matcher, which cannot print them, keeps them.
 */
public final class Redactor {
    /** Values shorter than this cause noticeable false positives; see the class comment. */
    public static final int RECOMMENDED_MIN_LENGTH = 4;

    private final AhoCorasick matcher;
    /** Per pattern index: its marker, shared by all patterns of one credential name. */
    private final byte[][] markerOfPattern;
    private final Set<String> names;
    private final List<String> namesWithShortValues;

    private Redactor(AhoCorasick matcher, byte[][] markerOfPattern, Set<String> names, List<String> namesWithShortValues) {
        this.matcher = matcher;
        this.markerOfPattern = markerOfPattern;
        this.names = names;
        this.namesWithShortValues = namesWithShortValues;
    }

    /**
     * Derives all forms of every value. The caller keeps ownership of the secrets (this does not
     * wipe them).
     *
     * @throws IllegalStateException if a secret was already wiped (the message names it)
     */
    public static Redactor of(Collection<SecretValue> secrets) {
        Objects.requireNonNull(secrets, "secrets");
        List<byte[]> patterns = new ArrayList<>();
        List<byte[]> markers = new ArrayList<>();
        Map<ByteBuffer, Integer> seen = new HashMap<>();
        Map<String, byte[]> markerByName = new HashMap<>();
        Set<String> names = new LinkedHashSet<>();
        Set<String> shortNames = new LinkedHashSet<>();
        try {
            for (SecretValue secret : secrets) {
                byte[] value = secret.bytes();
                try {
                    if (value.length == 0) {
                        continue;
                    }
                    names.add(secret.name());
                    if (value.length < RECOMMENDED_MIN_LENGTH) {
                        shortNames.add(secret.name());
                    }
                    byte[] marker = markerByName.computeIfAbsent(secret.name(),
                            n -> ("***" + n + "***").getBytes(StandardCharsets.UTF_8));
                    for (SecretEncoding encoding : SecretEncoding.values()) {
                        byte[] form = encoding.encode(value);
                        // Dedup keeps the automaton small and gives identical forms one stable name.
                        if (seen.putIfAbsent(ByteBuffer.wrap(form), patterns.size()) == null) {
                            patterns.add(form);
                            markers.add(marker);
                        } else {
                            Arrays.fill(form, (byte) 0);
                        }
                    }
                } finally {
                    Arrays.fill(value, (byte) 0);
                }
            }
            AhoCorasick matcher = AhoCorasick.compile(patterns);
            return new Redactor(matcher, markers.toArray(new byte[0][]),
                    Collections.unmodifiableSet(names), List.copyOf(shortNames));
        } finally {
            for (byte[] p : patterns) {
                Arrays.fill(p, (byte) 0);
            }
        }
    }

    /** Redacts a complete text, e.g. an exception message; the text is taken as UTF-8. */
    public String redact(String text) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        byte[] out = redact(in);
        // Unchanged text keeps its identity, and a lone surrogate is not silently rewritten.
        return out == in ? text : new String(out, StandardCharsets.UTF_8);
    }

    /** Redacts a complete byte array; returns {@code data} itself when nothing matched. */
    public byte[] redact(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length);
        RedactionStream stream = newStream(out::write);
        stream.write(data, 0, data.length);
        stream.finish();
        return stream.redactedAny() ? out.toByteArray() : data;
    }

    /** Credential names this redactor hides, in the order given (empty values excluded). */
    public Set<String> names() {
        return names;
    }

    /** Names whose value is shorter than {@link #RECOMMENDED_MIN_LENGTH}: worth a warning. */
    public List<String> namesWithShortValues() {
        return namesWithShortValues;
    }

    /** The most bytes a streaming redactor must hold back: the longest form minus one. */
    public int holdBack() {
        return Math.max(0, matcher.maxPatternLength() - 1);
    }

    /** True when there is nothing to redact; callers may skip wrapping output. */
    public boolean isEmpty() {
        return matcher.patternCount() == 0;
    }

    RedactionStream newStream(RedactionStream.Emitter emitter) {
        return new RedactionStream(matcher, markerOfPattern, emitter);
    }

    @Override
    public String toString() {
        return "Redactor[names=" + names + ", forms=" + matcher.patternCount() + "]";
    }
}
