package io.credpool.scan;

import io.credpool.redact.AhoCorasick;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;

/**
 * Scans a directory tree for known secret values, secret-shaped strings and environment
 * variable references, in one pass over each file's bytes.
 *
 * <p>One Aho–Corasick automaton holds every known value in every encoding, every rule's
 * keywords and every variable name asked about, so the cost per byte does not grow with the
 * number of values. Regexes run only in a small window around a keyword hit. Binary files (a NUL
 * in the first 8 KiB, as git decides) are skipped after reading 8 KiB; files over the per-file
 * limit are not read and are reported; past the workspace limit the rest is reported unread.
 * Symbolic links are not followed: what they point to outside the tree is not in the workspace.
 *
 * <p>Immutable and thread-safe; each {@link #scan} uses its own buffers.
 */
public final class WorkspaceScanner {
    static final int BINARY_PROBE = 8 * 1024;
    /** A finding count past which a file is summarized: thousands of lines of one leak say nothing more. */
    static final int MAX_FINDINGS_PER_FILE = 100;
    /** How far past its keyword a rule's match may reach (a 200-byte value and its name). */
    private static final int MAX_MATCH = 300;

    private final AhoCorasick automaton;
    private final List<KnownSecrets.Origin> origins;
    private final int knownCount;
    private final List<SecretRule> rules;
    /** Rule index per keyword pattern. */
    private final int[] keywordRule;
    private final List<String> referenceNames;
    private final long maxFileBytes;
    private final long maxWorkspaceBytes;
    private final List<String> notes;

    private WorkspaceScanner(AhoCorasick automaton, List<KnownSecrets.Origin> origins, List<SecretRule> rules,
            int[] keywordRule, List<String> referenceNames, long maxFileBytes, long maxWorkspaceBytes, List<String> notes) {
        this.automaton = automaton;
        this.origins = origins;
        this.knownCount = origins.size();
        this.rules = rules;
        this.keywordRule = keywordRule;
        this.referenceNames = referenceNames;
        this.maxFileBytes = maxFileBytes;
        this.maxWorkspaceBytes = maxWorkspaceBytes;
        this.notes = notes;
    }

    /**
     * Compiles a scanner; {@code known}'s pattern bytes are wiped afterwards, so the scanner is
     * the only place the values remain (as automaton transitions, in memory).
     */
    public static WorkspaceScanner compile(KnownSecrets known, List<SecretRule> rules, Collection<String> referenceNames,
            long maxFileBytes, long maxWorkspaceBytes) {
        try {
            List<byte[]> patterns = new ArrayList<>(known.patterns());
            List<KnownSecrets.Origin> origins = new ArrayList<>();
            for (int i = 0; i < known.patternCount(); i++) {
                origins.add(known.origin(i));
            }
            List<Integer> keywordRule = new ArrayList<>();
            for (int r = 0; r < rules.size(); r++) {
                for (String k : rules.get(r).keywords()) {
                    patterns.add(k.getBytes(StandardCharsets.US_ASCII));
                    keywordRule.add(r);
                }
            }
            List<String> names = List.copyOf(new java.util.LinkedHashSet<>(referenceNames));
            for (String n : names) {
                patterns.add(n.getBytes(StandardCharsets.US_ASCII));
            }
            AhoCorasick ac = AhoCorasick.compile(patterns);
            return new WorkspaceScanner(ac, List.copyOf(origins), List.copyOf(rules),
                    keywordRule.stream().mapToInt(Integer::intValue).toArray(), names, maxFileBytes, maxWorkspaceBytes,
                    known.notes());
        } finally {
            known.wipe();
        }
    }

    /** Known secret versions (not patterns) this scanner looks for, for messages. */
    public int knownPatternCount() {
        return knownCount;
    }

    /**
     * Scans {@code root}. Findings that {@code operatorAllowlist} or the workspace's own
     * {@value Allowlist#WORKSPACE_FILE} allow are counted but not returned.
     *
     * @throws Allowlist.AllowlistException when the workspace's allowlist is malformed
     * @throws IOException when the tree cannot be walked at all
     */
    public ScanResult scan(Path root, Allowlist operatorAllowlist) throws IOException {
        Objects.requireNonNull(operatorAllowlist, "operatorAllowlist");
        long started = System.nanoTime();
        Allowlist workspaceAllowlist = Allowlist.load(root.resolve(Allowlist.WORKSPACE_FILE), false);
        Run run = new Run(root, List.of(operatorAllowlist, workspaceAllowlist));
        if (Files.isRegularFile(root)) {
            run.file(root, Files.readAttributes(root, BasicFileAttributes.class));
        } else {
            Files.walkFileTree(root, run);
        }
        run.findings.sort(Comparator.comparing(Finding::path).thenComparingInt(Finding::line).thenComparingInt(Finding::column)
                .thenComparing(Finding::rule));
        run.skipped.sort(Comparator.comparing(SkippedFile::path));
        List<String> allNotes = new ArrayList<>(notes);
        allNotes.addAll(run.notes);
        return new ScanResult(root.toString(), run.findings, run.skipped, run.allowlisted, run.files, run.bytes,
                Duration.ofNanos(System.nanoTime() - started), new TreeMap<>(run.references), allNotes);
    }

    /** The state of one scan: buffers and results. */
    private final class Run extends SimpleFileVisitor<Path> {
        final Path root;
        final List<Allowlist> allowlists;
        final List<Finding> findings = new ArrayList<>();
        final List<SkippedFile> skipped = new ArrayList<>();
        final Map<String, String> references = new LinkedHashMap<>();
        final List<String> notes = new ArrayList<>();
        final AhoCorasick.Scanner scanner = automaton.newScanner();
        int allowlisted;
        long files;
        long bytes;
        long seenBytes;
        byte[] buf = new byte[64 * 1024];
        // Hits of the current file: pattern index and end offset.
        int[] hitPattern = new int[256];
        int[] hitEnd = new int[256];
        int hitCount;

        Run(Path root, List<Allowlist> allowlists) {
            this.root = root;
            this.allowlists = allowlists;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (attrs.isRegularFile()) {
                file(file, attrs);
            }
            return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
            skipped.add(new SkippedFile(relative(file), SkippedFile.Reason.UNREADABLE, -1));
            return FileVisitResult.CONTINUE;
        }

        void file(Path file, BasicFileAttributes attrs) {
            String path = relative(file);
            long size = attrs.size();
            if (size > maxFileBytes) {
                skipped.add(new SkippedFile(path, SkippedFile.Reason.TOO_LARGE, size));
                return;
            }
            seenBytes += size;
            if (seenBytes > maxWorkspaceBytes) {
                skipped.add(new SkippedFile(path, SkippedFile.Reason.WORKSPACE_LIMIT, size));
                return;
            }
            int len;
            try {
                len = read(file, (int) size);
            } catch (IOException e) {
                skipped.add(new SkippedFile(path, SkippedFile.Reason.UNREADABLE, size));
                return;
            }
            if (len < 0) {
                skipped.add(new SkippedFile(path, SkippedFile.Reason.BINARY, size));
                return;
            }
            files++;
            bytes += len;
            scanBytes(path, len);
        }

        /** Reads the file into buf; -1 if the first 8 KiB hold a NUL (then the rest is not read). */
        int read(Path file, int size) throws IOException {
            if (buf.length < size) {
                buf = new byte[Math.max(size, buf.length * 2)];
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, size);
                int probe = Math.min(size, BINARY_PROBE);
                while (bb.position() < probe && ch.read(bb) >= 0) {
                    // read the probe
                }
                for (int i = 0; i < Math.min(bb.position(), BINARY_PROBE); i++) {
                    if (buf[i] == 0) {
                        return -1;
                    }
                }
                while (bb.hasRemaining() && ch.read(bb) >= 0) {
                    // a file that shrank while being read ends early; one that grew is read to its size
                }
                return bb.position();
            }
        }

        void scanBytes(String path, int len) {
            hitCount = 0;
            scanner.reset();
            scanner.feed(buf, 0, len, this::hit);
            if (hitCount == 0) {
                return;
            }
            Latin1 text = new Latin1(buf, 0, len);
            LineIndex lines = new LineIndex(buf, len);
            List<Finding> found = new ArrayList<>();
            List<long[]> knownSpans = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            Set<Long> seenRules = new HashSet<>();
            Matcher[] matchers = new Matcher[rules.size()];
            int keywordEnd = knownCount + keywordRule.length;
            for (int h = 0; h < hitCount; h++) {
                int p = hitPattern[h];
                int end = hitEnd[h];
                int start = end - automaton.patternLength(p);
                if (p < knownCount) {
                    KnownSecrets.Origin o = origins.get(p);
                    if (seen.add(o.credential() + "@" + start)) {
                        knownSpans.add(new long[] {start, end});
                        found.add(Finding.known(path, lines.line(start), lines.column(start), o.credential(), o.version(),
                                o.encoding()));
                    }
                } else if (p < keywordEnd) {
                    checkRule(path, text, lines, keywordRule[p - knownCount], start, matchers, found, seenRules);
                } else {
                    String name = referenceNames.get(p - keywordEnd);
                    if (!references.containsKey(name) && References.isReference(text, start, end)) {
                        references.put(name, path + ":" + lines.line(start));
                    }
                }
            }
            // A rule match inside a known value is the same leak; the known finding says more.
            found.removeIf(f -> !f.isKnownSecret() && knownSpans.stream().anyMatch(s -> lines.line((int) s[0]) == f.line()));
            int kept = 0;
            for (Finding f : found) {
                if (allowlists.stream().anyMatch(a -> a.allows(f))) {
                    allowlisted++;
                } else if (kept++ < MAX_FINDINGS_PER_FILE) {
                    findings.add(f);
                }
            }
            if (kept > MAX_FINDINGS_PER_FILE) {
                notes.add(path + ": " + kept + " findings; only the first " + MAX_FINDINGS_PER_FILE + " are listed");
            }
        }

        void checkRule(String path, Latin1 text, LineIndex lines, int ruleIndex, int kwStart, Matcher[] matchers,
                List<Finding> found, Set<Long> seen) {
            SecretRule rule = rules.get(ruleIndex);
            Matcher m = matchers[ruleIndex];
            if (m == null) {
                // Transparent bounds: lookbehinds and lookaheads see past the region, anchoring
                // bounds off: `$` is the real end of the text, not of the region.
                m = matchers[ruleIndex] = rule.regex().matcher(text).useTransparentBounds(true).useAnchoringBounds(false);
            }
            // Every rule's match begins with one of its keywords: one anchored attempt per hit,
            // never a search across the line (which on keyword-dense code was 20x slower).
            m.region(kwStart, Math.min(text.length(), kwStart + MAX_MATCH));
            if (m.lookingAt() && rule.accepts(m, text) && seen.add(((long) ruleIndex << 32) | kwStart)) {
                found.add(Finding.rule(path, lines.line(kwStart), lines.column(kwStart), rule.id()));
            }
        }

        void hit(int pattern, long end) {
            if (hitCount == hitPattern.length) {
                hitPattern = java.util.Arrays.copyOf(hitPattern, hitCount * 2);
                hitEnd = java.util.Arrays.copyOf(hitEnd, hitCount * 2);
            }
            hitPattern[hitCount] = pattern;
            hitEnd[hitCount] = (int) end;
            hitCount++;
        }

        String relative(Path file) {
            Path rel = root.relativize(file);
            String s = rel.toString().replace(java.io.File.separatorChar, '/');
            return s.isEmpty() ? file.getFileName().toString() : s;
        }
    }

    /** Line numbers for byte offsets, built on first use: most files have no hit and never need it. */
    private static final class LineIndex {
        private final byte[] buf;
        private final int len;
        private int[] newlines;
        private int count;

        LineIndex(byte[] buf, int len) {
            this.buf = buf;
            this.len = len;
        }

        private void build() {
            if (newlines != null) {
                return;
            }
            newlines = new int[64];
            for (int i = 0; i < len; i++) {
                if (buf[i] == '\n') {
                    if (count == newlines.length) {
                        newlines = java.util.Arrays.copyOf(newlines, count * 2);
                    }
                    newlines[count++] = i;
                }
            }
        }

        /** 1-based line of the byte at {@code offset}. */
        int line(int offset) {
            build();
            int lo = 0;
            int hi = count;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (newlines[mid] < offset) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo + 1;
        }

        int lineStart(int offset) {
            int line = line(offset);
            return line == 1 ? 0 : newlines[line - 2] + 1;
        }

        int lineEnd(int offset) {
            int line = line(offset);
            return line - 1 < count ? newlines[line - 1] : len;
        }

        int column(int offset) {
            return offset - lineStart(offset) + 1;
        }
    }
}
