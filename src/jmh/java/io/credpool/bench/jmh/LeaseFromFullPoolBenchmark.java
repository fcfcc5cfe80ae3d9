package io.credpool.bench.jmh;

import io.credpool.pool.Lease;
import io.credpool.pool.WarmPool;
import io.credpool.pool.WarmPools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The cost of one warm lease when there is a fresh member to take: 32 leases and releases in a row
 * from a full pool of 64 on the instant backend, the pool waited on (unmeasured) until full before
 * each batch: a full pool is a state the measured work destroys, and a batch of 32 takes tens of
 * microseconds, so the per-invocation setup costs nothing measurable (JMH's warning about
 * Level.Invocation is for nanosecond methods). One thread: the uncontended path
 * ({@link LeaseBenchmark} has two threads).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Threads(1)
public class LeaseFromFullPoolBenchmark {
    static final int BATCH = 32;

    private Path dir;
    private WarmPools pools;
    private WarmPool pool;

    @Setup(Level.Trial)
    public void start() throws IOException, InterruptedException {
        dir = Files.createTempDirectory("credpool-jmh-lease-full-");
        pools = LeaseBenchmark.startPool(dir);
        pool = pools.pool("jmh").orElseThrow();
    }

    @Setup(Level.Invocation)
    public void refill() throws InterruptedException {
        LeaseBenchmark.awaitFull(pool);
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        pools.close();
        Cleanup.delete(dir);
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int leaseAndRelease32() {
        int leased = 0;
        for (int i = 0; i < BATCH; i++) {
            Lease lease = pool.lease().orElseThrow(() -> new IllegalStateException("a full pool of 64 had no fresh member"));
            lease.close();
            leased++;
        }
        return leased;
    }
}
