package io.credpool.redact;

import java.util.Arrays;

/**
 * Redacts one byte stream incrementally, holding back only bytes that could still begin a match.
 *
 * <p>Invariant: bytes before {@code cursor} are decided and emitted; {@code window} holds the
 * undecided bytes {@code [cursor, position)}. A match is known once its last byte has been scanned,
 * and a match not yet known must start within the trailing bytes that are still a proper prefix
 * of some pattern ({@link AhoCorasick.Scanner#pendingPrefixLength()}). So a decision whose
 * effective start lies before those bytes cannot be changed by later input, and at most the
 * longest pattern length minus one bytes are held after a write returns; usually none.
 *
 * <p>Not thread-safe: one instance per stream, driven by one thread at a time.
 */
final class RedactionStream implements AhoCorasick.MatchListener {

    /** Where decided bytes go. */
    @FunctionalInterface
    interface Emitter {
        void emit(byte[] buf, int off, int len);
    }

    private final AhoCorasick.Scanner scanner;
    private final int[] patternLengths;
    private final byte[][] markerOfPattern;
    private final Emitter emitter;

    private byte[] window = new byte[256];
    /** Stream offset of window[0]; equals the cursor between calls. */
    private long windowBase;
    private long cursor;
    private long position;

    // Known matches not yet behind the cursor, in order of end offset (the scanner's order);
    // [head, tail) is live.
    private long[] matchStart = new long[16];
    private long[] matchEnd = new long[16];
    private int[] matchPattern = new int[16];
    private int head;
    private int tail;

    private boolean redactedAny;
    private boolean finished;

    RedactionStream(AhoCorasick matcher, byte[][] markerOfPattern, Emitter emitter) {
        this.scanner = matcher.newScanner();
        this.patternLengths = new int[matcher.patternCount()];
        for (int i = 0; i < patternLengths.length; i++) {
            patternLengths[i] = matcher.patternLength(i);
        }
        this.markerOfPattern = markerOfPattern;
        this.emitter = emitter;
    }

    void write(byte[] buf, int off, int len) {
        if (finished) {
            throw new IllegalStateException("output written after finish");
        }
        if (len == 0) {
            return;
        }
        append(buf, off, len);
        scanner.feed(buf, off, len, this);
        position += len;
        // Only a match starting at or after this bound can still be completed by later input.
        decide(position - scanner.pendingPrefixLength());
    }

    /** Decides and emits everything still held. Idempotent. */
    void finish() {
        if (!finished) {
            finished = true;
            decide(position);
        }
    }

    boolean redactedAny() {
        return redactedAny;
    }

    @Override
    public void onMatch(int patternIndex, long endOffset) {
        if (tail == matchEnd.length) {
            compactMatches();
        }
        matchStart[tail] = endOffset - patternLengths[patternIndex];
        matchEnd[tail] = endOffset;
        matchPattern[tail] = patternIndex;
        tail++;
    }

    private void decide(long bound) {
        while (true) {
            // Leftmost effective start wins, then the longest; a match overlapping the cursor
            // starts, in effect, at the cursor, so its remaining bytes are hidden too.
            int best = -1;
            long bestStart = Long.MAX_VALUE;
            long bestEnd = -1;
            for (int i = head; i < tail; i++) {
                long start = Math.max(matchStart[i], cursor);
                if (start < bestStart || (start == bestStart && matchEnd[i] > bestEnd)) {
                    best = i;
                    bestStart = start;
                    bestEnd = matchEnd[i];
                }
            }
            if (best >= 0 && bestStart < bound) {
                emitHeld(bestStart);
                // A copy: the shared marker must stay intact whatever the downstream does with it.
                byte[] marker = markerOfPattern[matchPattern[best]].clone();
                emitter.emit(marker, 0, marker.length);
                redactedAny = true;
                skipHeld(bestEnd);
                // Matches arrive in end order, so those now wholly behind the cursor are a prefix.
                while (head < tail && matchEnd[head] <= cursor) {
                    head++;
                }
            } else {
                emitHeld(Math.min(bound, position));
                break;
            }
        }
        compactWindow();
    }

    private void append(byte[] buf, int off, int len) {
        int held = windowOffset(position);
        if (held + len > window.length) {
            window = Arrays.copyOf(window, Math.max(window.length * 2, held + len));
        }
        System.arraycopy(buf, off, window, held, len);
    }

    /** Emits held bytes up to stream offset {@code to} unchanged. */
    private void emitHeld(long to) {
        if (to > cursor) {
            emitter.emit(window, windowOffset(cursor), (int) (to - cursor));
            cursor = to;
        }
    }

    /** Drops held bytes up to stream offset {@code to}; they were replaced by a marker. */
    private void skipHeld(long to) {
        cursor = to;
    }

    private int windowOffset(long streamOffset) {
        return (int) (streamOffset - windowBase);
    }

    private void compactWindow() {
        int from = windowOffset(cursor);
        int held = (int) (position - cursor);
        if (from > 0 && held > 0) {
            System.arraycopy(window, from, window, 0, held);
        }
        windowBase = cursor;
        if (window.length > 65536 && held < window.length / 4) {
            // A one-off huge chunk must not pin a huge buffer for the rest of the stream.
            window = Arrays.copyOf(window, Math.max(256, held * 2));
        }
    }

    private void compactMatches() {
        int live = tail - head;
        if (live * 2 > matchEnd.length) {
            int size = matchEnd.length * 2;
            matchStart = Arrays.copyOf(matchStart, size);
            matchEnd = Arrays.copyOf(matchEnd, size);
            matchPattern = Arrays.copyOf(matchPattern, size);
        }
        System.arraycopy(matchStart, head, matchStart, 0, live);
        System.arraycopy(matchEnd, head, matchEnd, 0, live);
        System.arraycopy(matchPattern, head, matchPattern, 0, live);
        head = 0;
        tail = live;
    }
}
