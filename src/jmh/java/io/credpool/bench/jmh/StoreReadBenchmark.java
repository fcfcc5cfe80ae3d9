package io.credpool.bench.jmh;

import io.credpool.app.Credpool;
import io.credpool.app.CredpoolHome;
import io.credpool.app.Initializer;
import io.credpool.secrets.Label;
import io.credpool.secrets.SecretValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** The embedded store's current-version read (SQLite query + AES-GCM decrypt) against a map lookup of the same names. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
public class StoreReadBenchmark {
    private static final int SECRETS = 100;

    private java.nio.file.Path dir;
    private Credpool credpool;
    private final java.util.Map<String, byte[]> map = new java.util.HashMap<>();
    private int next;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("credpool-jmh-store-");
        CredpoolHome home = new CredpoolHome(dir);
        Initializer.init(home);
        credpool = Credpool.open(home);
        for (int i = 0; i < SECRETS; i++) {
            byte[] value = ("jmh-value-" + i + "-0123456789abcdef").getBytes(StandardCharsets.US_ASCII);
            credpool.secrets().put("jmh-key-" + i, value, Label.CURRENT, Optional.empty());
            map.put("jmh-key-" + i, value);
        }
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        credpool.close();
        Cleanup.delete(dir);
    }

    private String nextName() {
        next = (next + 1) % SECRETS;
        return "jmh-key-" + next;
    }

    @Benchmark
    public int embeddedStoreCurrent() {
        try (SecretValue v = credpool.secrets().current(nextName())) {
            return v.length();
        }
    }

    @Benchmark
    public int mapLookup() {
        return map.get(nextName()).length;
    }
}
