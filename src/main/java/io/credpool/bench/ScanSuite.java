package io.credpool.bench;

import io.credpool.config.ScanSettings;
import io.credpool.scan.Allowlist;
import io.credpool.scan.KnownSecrets;
import io.credpool.scan.ScanResult;
import io.credpool.scan.SecretRule;
import io.credpool.scan.WorkspaceScanner;
import io.credpool.secrets.SecretValue;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Workspace scan throughput over a generated tree (10,000 files / 200 MB; a tenth with --quick)
 * with 1, 100 and 10,000 known values plus the built-in rules, against a baseline measured in the
 * same run: reading every file and searching it for one value with {@code String.indexOf}.
 * Rows are full scans per second of the same tree, shown as MB/s of it; ratios compare either.
 */
public final class ScanSuite {
    private static final int[] KNOWN_VALUES = {1, 100, 10_000};

    private ScanSuite() {
    }

    public static void run(Bench bench, PrintStream progress) throws IOException {
        int files = bench.quick() ? 1_000 : 10_000;
        Path tree = Files.createTempDirectory("credpool-bench-scan-");
        try {
            long bytes = generate(tree, files, 20 * 1024, new Random(42));
            String corpus = files + " files, " + (bytes >> 20) + " MB";
            progress.printf("  scan corpus: %s in %s%n", corpus, tree);
            List<Path> paths;
            try (Stream<Path> s = Files.walk(tree)) {
                paths = s.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).toList();
            }
            String needle = randomValue(new Random(7));
            int reps = bench.quick() ? 3 : 5;
            String base = "indexOf of 1 value, read + search (" + corpus + ")";
            Row.Unit mbPerSecond = Row.Unit.mbPerSecond(bytes);
            bench.throughput("scan", base, null, 1, reps, mbPerSecond, () -> {
                for (Path p : paths) {
                    if (new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).indexOf(needle) >= 0) {
                        throw new IllegalStateException("the generated tree holds the needle");
                    }
                }
            });
            for (int n : KNOWN_VALUES) {
                Random random = new Random(n);
                List<SecretValue> values = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    values.add(SecretValue.of("bench-" + i, "v1", randomValue(random).getBytes(StandardCharsets.US_ASCII)));
                }
                long t0 = System.nanoTime();
                WorkspaceScanner scanner = WorkspaceScanner.compile(KnownSecrets.of(values),
                        SecretRule.defaults(ScanSettings.DEFAULT_MIN_ENTROPY), List.of("GITHUB_TOKEN", "NPM_TOKEN"),
                        ScanSettings.DEFAULT_MAX_FILE_BYTES, ScanSettings.DEFAULT_MAX_WORKSPACE_BYTES);
                progress.printf("  scan: compiled %d values x %d encodings in %d ms%n", n,
                        scanner.knownPatternCount() / Math.max(1, n), (System.nanoTime() - t0) / 1_000_000);
                values.forEach(SecretValue::wipe);
                bench.throughput("scan", "credpool scan, " + n + " known value" + (n == 1 ? "" : "s")
                        + " + rules (" + corpus + ")", base, 1, reps, mbPerSecond, () -> {
                            ScanResult r = scanner.scan(tree, Allowlist.empty());
                            if (r.files() != files || !r.clean()) {
                                throw new IllegalStateException("scanned " + r.files() + " files with " + r.findings().size()
                                        + " findings; expected " + files + " clean files");
                            }
                        });
            }
        } finally {
            try (Stream<Path> s = Files.walk(tree)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String randomValue(Random random) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder("bk_");
        for (int i = 0; i < 32; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    /** Code-like text: identifiers, strings, numbers, and the words the generic rule's keywords hit. */
    private static long generate(Path root, int files, int size, Random random) throws IOException {
        String[] words = {"value", "compute", "result", "index", "token_count", "keyboard", "monkey", "config", "user",
            "request", "response", "handler", "buffer", "secretary", "author", "password_hint", "cache_key"};
        long total = 0;
        StringBuilder sb = new StringBuilder(size + 200);
        for (int f = 0; f < files; f++) {
            Path dir = root.resolve("d" + (f / 100));
            Files.createDirectories(dir);
            sb.setLength(0);
            int line = 0;
            while (sb.length() < size) {
                String a = words[random.nextInt(words.length)];
                String b = words[random.nextInt(words.length)];
                switch (line++ % 4) {
                    case 0 -> sb.append("const ").append(a).append('_').append(line).append(" = ").append(b).append("(")
                            .append(random.nextInt(100000)).append(");\n");
                    case 1 -> sb.append("    if (").append(a).append(" > ").append(b).append(") { return \"")
                            .append(a).append(' ').append(b).append("\"; }\n");
                    case 2 -> sb.append("// ").append(a).append(' ').append(b).append(" see $NPM_TOKEN docs\n");
                    default -> sb.append(a).append(": ").append(b).append('\n');
                }
            }
            byte[] data = sb.toString().getBytes(StandardCharsets.US_ASCII);
            Files.write(dir.resolve("f" + f + ".js"), data);
            total += data.length;
        }
        return total;
    }
}
