package io.credpool.bench.jmh;

import io.credpool.config.ConfigLoader;
import io.credpool.config.CredpoolConfig;
import io.credpool.pool.Fingerprinter;
import io.credpool.pool.Lease;
import io.credpool.pool.PoolTuning;
import io.credpool.pool.WarmPool;
import io.credpool.pool.WarmPools;
import io.credpool.sandbox.OutputSink;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxBackend;
import io.credpool.sandbox.SandboxSpec;
import io.credpool.sandbox.TaskExit;
import io.credpool.secrets.Label;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.SecretsProvider;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Threads;

/**
 * {@link WarmPool#lease()} under contention: threads race for READY members (the READY -> LEASED
 * CAS), check them against the current versions and release them (LEASED -> DESTROYED), while the
 * pool refills in the background. The backend is an instant in-memory fake and the provider a map,
 * so what is measured is the pool's own work, not bubblewrap's or SQLite's. Two threads lease as
 * fast as they can, so the pool drains faster than it refills and most calls find no fresh member
 * (a miss, which a task would answer with a cold start): the {@code hits} rate is how many warm
 * leases per second the pool sustains when sandboxes start instantly; {@code misses} is the cost of
 * finding none. {@link LeaseFromFullPoolBenchmark} times leases that all hit.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Threads(2)
public class LeaseBenchmark {
    private Path dir;
    private WarmPools pools;
    private WarmPool pool;

    /** Per-thread outcome counts, reported by JMH as secondary results. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Outcomes {
        public long hits;
        public long misses;
    }

    @Setup(Level.Trial)
    public void start() throws IOException, InterruptedException {
        dir = Files.createTempDirectory("credpool-jmh-lease-");
        pools = startPool(dir);
        pool = pools.pool("jmh").orElseThrow();
        awaitFull(pool);
    }

    /** A pool of 64 members of type "jmh" on the instant backend, one pool-scope credential, refilled every millisecond. */
    static WarmPools startPool(Path dir) throws IOException {
        Path config = dir.resolve("credpool.yaml");
        Files.writeString(config, "version: 1\ndefaults: {timeout: 1m}\ntask_types:\n  jmh:\n    pool: {size: 64, max_age: 1h}\n"
                + "    credentials:\n      - {name: jmh-key, env: JMH_KEY, scope: pool}\n", StandardCharsets.UTF_8);
        CredpoolConfig cfg = ConfigLoader.load(config);
        PoolTuning tuning = new PoolTuning(Duration.ofMillis(1), Duration.ofSeconds(1), Duration.ofMillis(10), Duration.ofSeconds(1),
                8, 0.025);
        return WarmPools.start(cfg, type -> new InstantBackend(), new OneSecret(), new Fingerprinter(new byte[32]),
                new SimpleMeterRegistry(), tuning, Clock.systemUTC());
    }

    static void awaitFull(WarmPool pool) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!pool.status().fullyFresh()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the pool did not fill: " + pool.status());
            }
            Thread.sleep(1);
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        pools.close();
        Cleanup.delete(dir);
    }

    @Benchmark
    public boolean leaseAndRelease(Outcomes outcomes) {
        Optional<Lease> lease = pool.lease();
        if (lease.isEmpty()) {
            outcomes.misses++;
            return false;
        }
        lease.get().close();
        outcomes.hits++;
        return true;
    }

    /** Sandboxes that start and stop instantly. */
    static final class InstantBackend implements SandboxBackend {
        private final AtomicInteger ids = new AtomicInteger();

        @Override
        public String name() {
            return "instant";
        }

        @Override
        public Sandbox create(SandboxSpec spec) {
            String id = "instant-" + ids.incrementAndGet();
            return new Sandbox() {
                private volatile boolean closed;

                @Override
                public String id() {
                    return id;
                }

                @Override
                public boolean isReady() {
                    return !closed;
                }

                @Override
                public TaskExit run(List<String> command, Map<String, SecretValue> env, OutputSink output, Duration timeout) {
                    return new TaskExit(0, false, Duration.ZERO);
                }

                @Override
                public void close() {
                    closed = true;
                }
            };
        }
    }

    /** One credential at version v1, held in memory: the version check costs a map read, not a query. */
    static final class OneSecret implements SecretsProvider {
        private static final byte[] VALUE = "jmh-secret-value".getBytes(StandardCharsets.US_ASCII);

        @Override
        public String kind() {
            return "memory";
        }

        @Override
        public SecretValue current(String name) {
            return SecretValue.of(name, "v1", VALUE.clone());
        }

        @Override
        public SecretValue version(String name, String versionId) {
            return current(name);
        }

        @Override
        public Optional<String> currentVersionId(String name) {
            return Optional.of("v1");
        }

        @Override
        public List<SecretVersion> versions(String name) {
            return List.of(new SecretVersion(name, "v1", Set.of(Label.CURRENT), Instant.EPOCH));
        }

        @Override
        public List<SecretVersion> list() {
            return List.of(new SecretVersion("jmh-key", "v1", Set.of(Label.CURRENT), Instant.EPOCH));
        }

        @Override
        public SecretVersion put(String name, byte[] value, Label label, Optional<String> expectedCurrent) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public SecretVersion promote(String name, String versionId, Optional<String> expectedCurrent) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        public void close() {
        }
    }
}
