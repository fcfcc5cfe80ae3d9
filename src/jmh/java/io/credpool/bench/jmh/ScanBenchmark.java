package io.credpool.bench.jmh;

import io.credpool.config.ScanSettings;
import io.credpool.scan.Allowlist;
import io.credpool.scan.KnownSecrets;
import io.credpool.scan.ScanResult;
import io.credpool.scan.SecretRule;
import io.credpool.scan.WorkspaceScanner;
import io.credpool.secrets.SecretValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The workspace scanner (known values in all encodings + the built-in rules) over an in-memory
 * corpus: 200 code-like files of 20 KiB (4 MB) on tmpfs (/dev/shm when there is one), so the
 * numbers are the scanner's and not the disk's. One operation is one scan of the whole corpus.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
public class ScanBenchmark {
    static final int FILES = 200;
    static final int FILE_BYTES = 20 * 1024;

    @Param({"1", "100", "10000"})
    public int knownValues;

    private Path corpus;
    private WorkspaceScanner scanner;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path shm = Path.of("/dev/shm");
        corpus = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "credpool-jmh-scan-")
                : Files.createTempDirectory("credpool-jmh-scan-");
        Random random = new Random(42);
        String[] words = {"value", "compute", "result", "index", "token_count", "config", "user", "request", "handler",
            "buffer", "secretary", "password_hint", "cache_key"};
        for (int f = 0; f < FILES; f++) {
            StringBuilder sb = new StringBuilder(FILE_BYTES + 100);
            while (sb.length() < FILE_BYTES) {
                String a = words[random.nextInt(words.length)];
                String b = words[random.nextInt(words.length)];
                sb.append("const ").append(a).append('_').append(random.nextInt(1000)).append(" = ").append(b).append("(\"")
                        .append(a).append(' ').append(b).append("\");\n");
            }
            Files.writeString(corpus.resolve("f" + f + ".js"), sb, StandardCharsets.US_ASCII);
        }
        List<SecretValue> values = new ArrayList<>();
        for (int i = 0; i < knownValues; i++) {
            values.add(SecretValue.of("jmh-" + i, "v1", ("bk_" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36)
                    + Long.toString(random.nextLong() & Long.MAX_VALUE, 36)).getBytes(StandardCharsets.US_ASCII)));
        }
        scanner = WorkspaceScanner.compile(KnownSecrets.of(values), SecretRule.defaults(ScanSettings.DEFAULT_MIN_ENTROPY),
                List.of("GITHUB_TOKEN"), ScanSettings.DEFAULT_MAX_FILE_BYTES, ScanSettings.DEFAULT_MAX_WORKSPACE_BYTES);
        values.forEach(SecretValue::wipe);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        Cleanup.delete(corpus);
    }

    @Benchmark
    public ScanResult scanCorpus() throws IOException {
        ScanResult r = scanner.scan(corpus, Allowlist.empty());
        if (r.files() != FILES) {
            throw new IllegalStateException("scanned " + r.files() + " files, expected " + FILES);
        }
        return r;
    }
}
