package io.credpool.redact;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A byte-level Aho–Corasick automaton that finds every occurrence of many literal patterns in one
 * pass, also across chunk boundaries of a stream.
 *
 * <p>The automaton is compiled to a full DFA over byte equivalence classes: bytes that occur in no
 * pattern share one class, every other byte has its own. The scan loop is then one table load per
 * input byte with no failure-link chasing, which is what a scanner over hundreds of megabytes
 * needs. Memory is {@code states × classes × 4} bytes, where states ≤ total pattern bytes + 1:
 * about 40 MB for 3,000 patterns of 50 bytes over a printable alphabet.
 *
 * <p>The automaton keeps only pattern lengths, not the patterns, so a matcher built from secrets
 * holds nothing printable; its transition table of course still encodes them. Instances are
 * immutable and thread-safe; {@link Scanner}s are not.
 */
public final class AhoCorasick {

    /** Receives one match: which pattern, and the stream offset just past its last byte. */
    @FunctionalInterface
    public interface MatchListener {
        void onMatch(int patternIndex, long endOffset);
    }

    private static final int NONE = -1;

    private final int[] byteClass;
    private final int classCount;
    /**
     * Transitions indexed by {@code premultipliedState + byteClass}. Targets are premultiplied by
     * {@code classCount}; a target state that ends at least one pattern is stored complemented
     * (negative) so the hot loop detects matches with a sign test.
     */
    private final int[] delta;
    /** Per state id: the first pattern ending exactly here, or NONE. */
    private final int[] ownPattern;
    /** Per pattern: the next pattern with identical bytes, or NONE; duplicates are all reported. */
    private final int[] samePatternNext;
    /** Per state id: the nearest state on the failure chain that has an own pattern, or NONE. */
    private final int[] dictionaryLink;
    /**
     * Per state id: how many trailing input bytes could still begin a match, i.e. the depth of the
     * deepest state on the failure chain that has a child. Lets a stream release everything else.
     */
    private final int[] liveDepth;
    private final int[] patternLengths;
    private final int maxPatternLength;

    private AhoCorasick(int[] byteClass, int classCount, int[] delta, int[] ownPattern,
            int[] samePatternNext, int[] dictionaryLink, int[] liveDepth, int[] patternLengths) {
        this.byteClass = byteClass;
        this.classCount = classCount;
        this.delta = delta;
        this.ownPattern = ownPattern;
        this.samePatternNext = samePatternNext;
        this.dictionaryLink = dictionaryLink;
        this.liveDepth = liveDepth;
        this.patternLengths = patternLengths;
        this.maxPatternLength = Arrays.stream(patternLengths).max().orElse(0);
    }

    /**
     * Compiles the patterns; a match reports a pattern by its index in {@code patterns}. Identical
     * patterns are allowed and each is reported. The arrays are not retained.
     *
     * @throws IllegalArgumentException if a pattern is empty (it would match everywhere) or the
     *     automaton would not fit in one array
     */
    public static AhoCorasick compile(List<byte[]> patterns) {
        Objects.requireNonNull(patterns, "patterns");
        long totalBytes = 0;
        int[] lengths = new int[patterns.size()];
        boolean[] used = new boolean[256];
        for (int i = 0; i < lengths.length; i++) {
            byte[] p = Objects.requireNonNull(patterns.get(i), "pattern");
            if (p.length == 0) {
                throw new IllegalArgumentException("pattern " + i + " is empty; an empty pattern matches everywhere");
            }
            lengths[i] = p.length;
            totalBytes += p.length;
            for (byte b : p) {
                used[b & 0xff] = true;
            }
        }

        // Class 0 is every byte no pattern contains: those all lead back to the root alike.
        int[] byteClass = new int[256];
        int classCount = 1;
        for (int b = 0; b < 256; b++) {
            if (used[b]) {
                byteClass[b] = classCount++;
            }
        }

        long maxStates = totalBytes + 1;
        if (maxStates * classCount > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("patterns too large for one automaton: " + totalBytes
                    + " pattern bytes over " + classCount + " byte classes; split them into several matchers");
        }
        int[] go = new int[(int) maxStates * classCount];
        Arrays.fill(go, NONE);
        int[] own = new int[(int) maxStates];
        Arrays.fill(own, NONE);
        int[] samePatternNext = new int[lengths.length];
        Arrays.fill(samePatternNext, NONE);

        int[] depth = new int[(int) maxStates];
        boolean[] hasChild = new boolean[(int) maxStates];
        int stateCount = 1;
        for (int i = 0; i < lengths.length; i++) {
            int s = 0;
            for (byte b : patterns.get(i)) {
                int slot = s * classCount + byteClass[b & 0xff];
                if (go[slot] == NONE) {
                    depth[stateCount] = depth[s] + 1;
                    go[slot] = stateCount++;
                }
                hasChild[s] = true;
                s = go[slot];
            }
            if (own[s] == NONE) {
                own[s] = i;
            } else {
                // Chain duplicates so the earlier index stays first, as callers' priorities expect.
                int last = own[s];
                while (samePatternNext[last] != NONE) {
                    last = samePatternNext[last];
                }
                samePatternNext[last] = i;
            }
        }

        int[] fail = new int[stateCount];
        int[] dict = new int[stateCount];
        Arrays.fill(dict, NONE);
        int[] live = new int[stateCount];
        // The queue doubles as the breadth-first order used to renumber states below.
        int[] order = new int[stateCount];
        int queued = 1;
        for (int c = 0; c < classCount; c++) {
            int v = go[c];
            if (v == NONE) {
                go[c] = 0;
            } else {
                fail[v] = 0;
                live[v] = hasChild[v] ? depth[v] : 0;
                order[queued++] = v;
            }
        }
        // Breadth-first, so a state's failure target (always shallower) already has a full row.
        for (int next = 1; next < queued; next++) {
            int u = order[next];
            int uRow = u * classCount;
            int failRow = fail[u] * classCount;
            for (int c = 0; c < classCount; c++) {
                int v = go[uRow + c];
                if (v == NONE) {
                    go[uRow + c] = go[failRow + c];
                } else {
                    int f = go[failRow + c];
                    fail[v] = f;
                    dict[v] = own[f] != NONE ? f : dict[f];
                    live[v] = hasChild[v] ? depth[v] : live[f];
                    order[queued++] = v;
                }
            }
        }

        // Renumber breadth-first: a scan spends nearly all its time in shallow states, and numbered
        // by insertion they would be scattered over the whole table, one cache miss per byte.
        int[] newId = new int[stateCount];
        for (int i = 0; i < stateCount; i++) {
            newId[order[i]] = i;
        }
        int[] delta = new int[stateCount * classCount];
        int[] ownById = new int[stateCount];
        int[] dictById = new int[stateCount];
        int[] liveById = new int[stateCount];
        for (int old = 0; old < stateCount; old++) {
            int id = newId[old];
            ownById[id] = own[old];
            dictById[id] = dict[old] == NONE ? NONE : newId[dict[old]];
            liveById[id] = live[old];
            for (int c = 0; c < classCount; c++) {
                int target = go[old * classCount + c];
                boolean matches = own[target] != NONE || dict[target] != NONE;
                int premultiplied = newId[target] * classCount;
                delta[id * classCount + c] = matches ? ~premultiplied : premultiplied;
            }
        }
        return new AhoCorasick(byteClass, classCount, delta, ownById, samePatternNext, dictById, liveById, lengths);
    }

    public int patternCount() {
        return patternLengths.length;
    }

    public int patternLength(int patternIndex) {
        return patternLengths[patternIndex];
    }

    /** The longest pattern's length, 0 when there are none. */
    public int maxPatternLength() {
        return maxPatternLength;
    }

    /** Number of DFA states, for sizing reports. */
    public int stateCount() {
        return delta.length / classCount;
    }

    /** A fresh streaming scanner positioned at offset 0. */
    public Scanner newScanner() {
        return new Scanner();
    }

    /** Reports every match in {@code data}, in order of end offset. */
    public void findAll(byte[] data, MatchListener listener) {
        newScanner().feed(data, 0, data.length, listener);
    }

    /**
     * Scans {@code len} bytes from {@code state}, reporting matches with end offsets counted from
     * {@code baseOffset}; returns the state to continue from. The zero-allocation core of
     * {@link Scanner}; state 0 is the start state.
     */
    int scan(int state, byte[] buf, int off, int len, long baseOffset, MatchListener listener) {
        final int[] d = delta;
        final int[] cls = byteClass;
        int s = state;
        final int end = off + len;
        for (int i = off; i < end; i++) {
            int t = d[s + cls[buf[i] & 0xff]];
            if (t < 0) {
                s = ~t;
                report(s / classCount, baseOffset + (i - off) + 1, listener);
            } else {
                s = t;
            }
        }
        return s;
    }

    private void report(int stateId, long endOffset, MatchListener listener) {
        // Longest first: the state's own pattern, then shorter suffixes along the dictionary chain.
        for (int s = ownPattern[stateId] != NONE ? stateId : dictionaryLink[stateId]; s != NONE; s = dictionaryLink[s]) {
            for (int p = ownPattern[s]; p != NONE; p = samePatternNext[p]) {
                listener.onMatch(p, endOffset);
            }
        }
    }

    @Override
    public String toString() {
        return "AhoCorasick[patterns=" + patternLengths.length + ", states=" + stateCount()
                + ", byteClasses=" + classCount + "]";
    }

    /** Scans one stream chunk by chunk; a match split across chunks is found when its last byte arrives. */
    public final class Scanner {
        private int state;
        private long position;

        private Scanner() {
        }

        /** Scans the chunk; reported end offsets count from the start of the stream. */
        public void feed(byte[] buf, int off, int len, MatchListener listener) {
            Objects.checkFromIndexSize(off, len, buf.length);
            state = scan(state, buf, off, len, position, listener);
            position += len;
        }

        /**
         * How many of the last bytes fed could still be the beginning of a match; no match that
         * ends in a later chunk starts before {@code position() - pendingPrefixLength()}.
         * Always less than {@link #maxPatternLength()}.
         */
        public int pendingPrefixLength() {
            return liveDepth[state / classCount];
        }

        /** Bytes fed so far. */
        public long position() {
            return position;
        }

        /** Starts a new stream, e.g. the next file. */
        public void reset() {
            state = 0;
            position = 0;
        }
    }
}
