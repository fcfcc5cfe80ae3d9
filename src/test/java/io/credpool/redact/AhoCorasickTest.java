package io.credpool.redact;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AhoCorasickTest {

    record Match(int pattern, long end) {
    }

    private static List<byte[]> ascii(String... patterns) {
        return Arrays.stream(patterns).map(p -> p.getBytes(UTF_8)).toList();
    }

    private static List<Match> findAll(AhoCorasick ac, byte[] data) {
        List<Match> out = new ArrayList<>();
        ac.findAll(data, (p, end) -> out.add(new Match(p, end)));
        return out;
    }

    /** The obvious quadratic search, sorted the way the automaton reports: by end, longest first. */
    private static List<Match> naive(List<byte[]> patterns, byte[] data) {
        List<Match> out = new ArrayList<>();
        for (int end = 1; end <= data.length; end++) {
            List<Match> here = new ArrayList<>();
            for (int p = 0; p < patterns.size(); p++) {
                byte[] pat = patterns.get(p);
                int start = end - pat.length;
                if (start >= 0 && Arrays.equals(data, start, end, pat, 0, pat.length)) {
                    here.add(new Match(p, end));
                }
            }
            here.sort((a, b) -> patterns.get(b.pattern()).length != patterns.get(a.pattern()).length
                    ? patterns.get(b.pattern()).length - patterns.get(a.pattern()).length
                    : a.pattern() - b.pattern());
            out.addAll(here);
        }
        return out;
    }

    @Test
    void findsOverlappingAndNestedPatternsOfTheClassicExample() {
        List<byte[]> patterns = ascii("he", "she", "his", "hers");
        AhoCorasick ac = AhoCorasick.compile(patterns);

        assertThat(findAll(ac, "ushers".getBytes(UTF_8)))
                .containsExactly(new Match(1, 4), new Match(0, 4), new Match(3, 6));
    }

    @Test
    void reportsEveryOccurrenceOfARepeatedPatternIncludingOverlaps() {
        AhoCorasick ac = AhoCorasick.compile(ascii("aa"));

        assertThat(findAll(ac, "aaaa".getBytes(UTF_8)))
                .containsExactly(new Match(0, 2), new Match(0, 3), new Match(0, 4));
    }

    @Test
    void reportsEachIndexOfIdenticalPatterns() {
        AhoCorasick ac = AhoCorasick.compile(ascii("key", "other", "key"));

        assertThat(findAll(ac, "a key".getBytes(UTF_8))).containsExactly(new Match(0, 5), new Match(2, 5));
    }

    @Test
    void findsNothingInTextWithoutPatterns() {
        AhoCorasick ac = AhoCorasick.compile(ascii("secret", "token"));

        assertThat(findAll(ac, "nothing to see here, not even a secre or toke".getBytes(UTF_8))).isEmpty();
    }

    @Test
    void anEmptyPatternListNeverMatches() {
        AhoCorasick ac = AhoCorasick.compile(List.of());

        assertThat(findAll(ac, "anything".getBytes(UTF_8))).isEmpty();
        assertThat(ac.maxPatternLength()).isZero();
    }

    @Test
    void anEmptyPatternIsRejectedWithItsIndex() {
        assertThatThrownBy(() -> AhoCorasick.compile(ascii("ok", "")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pattern 1 is empty; an empty pattern matches everywhere");
    }

    @Test
    void matchesBinaryPatternsWithEveryByteValue() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        List<byte[]> patterns = List.of(new byte[] {0, 0}, new byte[] {(byte) 0xff, 0, (byte) 0x80}, all);
        byte[] data = new byte[600];
        System.arraycopy(all, 0, data, 10, 256);
        data[300] = (byte) 0xff;
        data[301] = 0;
        data[302] = (byte) 0x80;

        assertThat(findAll(AhoCorasick.compile(patterns), data)).isEqualTo(naive(patterns, data));
    }

    @Test
    void agreesWithNaiveSearchForThousandsOfRandomPatterns() {
        Random random = new Random(42);
        List<byte[]> patterns = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            byte[] p = new byte[1 + random.nextInt(12)];
            for (int j = 0; j < p.length; j++) {
                p[j] = (byte) ('a' + random.nextInt(4)); // small alphabet: many overlaps
            }
            patterns.add(p);
        }
        byte[] data = new byte[5000];
        for (int j = 0; j < data.length; j++) {
            data[j] = (byte) ('a' + random.nextInt(5));
        }

        assertThat(findAll(AhoCorasick.compile(patterns), data)).isEqualTo(naive(patterns, data));
    }

    @Test
    void streamingAcrossEverySplitPointFindsTheSameMatchesAsOnePass() {
        List<byte[]> patterns = ascii("credential", "dent", "tial", "cred", "l-c");
        AhoCorasick ac = AhoCorasick.compile(patterns);
        byte[] data = "a credential-credential dentist".getBytes(UTF_8);
        List<Match> expected = findAll(ac, data);

        for (int split = 0; split <= data.length; split++) {
            List<Match> got = new ArrayList<>();
            AhoCorasick.Scanner scanner = ac.newScanner();
            scanner.feed(data, 0, split, (p, end) -> got.add(new Match(p, end)));
            scanner.feed(data, split, data.length - split, (p, end) -> got.add(new Match(p, end)));

            assertThat(got).as("split at %d", split).isEqualTo(expected);
            assertThat(scanner.position()).isEqualTo(data.length);
        }
    }

    @Test
    void streamingOneByteAtATimeReportsAbsoluteEndOffsets() {
        AhoCorasick ac = AhoCorasick.compile(ascii("abc"));
        byte[] data = "xxabcxxabc".getBytes(UTF_8);
        List<Match> got = new ArrayList<>();
        AhoCorasick.Scanner scanner = ac.newScanner();
        for (int i = 0; i < data.length; i++) {
            scanner.feed(data, i, 1, (p, end) -> got.add(new Match(p, end)));
        }

        assertThat(got).containsExactly(new Match(0, 5), new Match(0, 10));
    }

    @Test
    void resetStartsANewStreamWithoutCarryingAPartialMatch() {
        AhoCorasick ac = AhoCorasick.compile(ascii("abc"));
        List<Match> got = new ArrayList<>();
        AhoCorasick.Scanner scanner = ac.newScanner();
        scanner.feed("ab".getBytes(UTF_8), 0, 2, (p, end) -> got.add(new Match(p, end)));
        scanner.reset();
        scanner.feed("cabc".getBytes(UTF_8), 0, 4, (p, end) -> got.add(new Match(p, end)));

        assertThat(got).containsExactly(new Match(0, 4));
    }

    @Test
    void randomChunkingsOfRandomDataAgreeWithNaiveSearch() {
        Random random = new Random(7);
        for (int round = 0; round < 50; round++) {
            List<byte[]> patterns = new ArrayList<>();
            for (int i = 0; i < 1 + random.nextInt(30); i++) {
                byte[] p = new byte[1 + random.nextInt(6)];
                for (int j = 0; j < p.length; j++) {
                    p[j] = (byte) random.nextInt(3);
                }
                patterns.add(p);
            }
            byte[] data = new byte[random.nextInt(400)];
            for (int j = 0; j < data.length; j++) {
                data[j] = (byte) random.nextInt(4);
            }
            AhoCorasick.Scanner scanner = AhoCorasick.compile(patterns).newScanner();
            List<Match> got = new ArrayList<>();
            int off = 0;
            while (off < data.length) {
                int len = Math.min(data.length - off, random.nextInt(9));
                scanner.feed(data, off, len, (p, end) -> got.add(new Match(p, end)));
                off += len;
            }

            assertThat(got).as("round %d", round).isEqualTo(naive(patterns, data));
        }
    }

    @Test
    void pendingPrefixLengthCountsOnlyTrailingBytesThatCanStillGrowIntoAMatch() {
        AhoCorasick ac = AhoCorasick.compile(ascii("abcd", "bcx", "cd"));
        AhoCorasick.Scanner scanner = ac.newScanner();
        int[] expected = {0, 1, 2, 3, 0, 0, 1, 2, 0};
        byte[] data = "zabcdzbcd".getBytes(UTF_8);
        for (int i = 0; i < data.length; i++) {
            scanner.feed(data, i, 1, (p, end) -> { });

            assertThat(scanner.pendingPrefixLength()).as("after %d bytes", i + 1).isEqualTo(expected[i]);
        }
    }

    @Test
    void feedRejectsAChunkOutsideTheBuffer() {
        AhoCorasick.Scanner scanner = AhoCorasick.compile(ascii("a")).newScanner();

        assertThatThrownBy(() -> scanner.feed(new byte[4], 2, 3, (p, end) -> { }))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void toStringDescribesSizeWithoutPatternBytes() {
        AhoCorasick ac = AhoCorasick.compile(ascii("hunter2"));

        assertThat(ac.toString()).doesNotContain("hunter2").startsWith("AhoCorasick[patterns=1");
    }
}
