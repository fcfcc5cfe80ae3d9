package io.credpool.bench;

import io.credpool.pool.Lease;
import io.credpool.pool.WarmPool;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxBackend;
import io.credpool.sandbox.SandboxSpec;
import io.credpool.secrets.SecretValue;
import io.credpool.task.Orchestrator;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Warm start against cold start of the same task type (one pool-scope credential) and against a
 * bare bubblewrap start, in one run. Before each warm repetition the pool is waited on, unmeasured,
 * until it is full again, so the number is a lease from a full pool, not a race with its refill;
 * member teardown after the task is not measured in the sandbox-level rows (warm or cold).
 */
public final class PoolSuite {
    static final String BARE = "bare `bwrap <credpool's flags> true` (pool suite)";
    static final String COLD_SANDBOX = "cold: create sandbox with 1 baked value + exec `true`";
    static final String COLD_TASK = "credpool task, 1 pool-scope credential, cold (no pool)";

    private PoolSuite() {
    }

    public static void run(Bench bench, BenchEnv env) {
        int n = bench.reps(200);
        int warm = bench.reps(20);
        List<String> bwrap = StartSuite.bareBubblewrap(env);
        bench.latency("pool", BARE, null, warm, n, () -> StartSuite.exec(bwrap));

        SandboxBackend backend = StartSuite.backend(env);
        AtomicReference<Sandbox> cold = new AtomicReference<>();
        bench.latency("pool", COLD_SANDBOX, BARE, warm, n, () -> { }, () -> {
            try (SecretValue v = env.credpool().secrets().current("bench-key-0")) {
                Sandbox s = backend.create(new SandboxSpec("bench-pool", Optional.empty(), false, Map.of("BENCH_POOL_KEY", v)));
                cold.set(s);
                StartSuite.check(s.run(List.of("true"), Map.of(), StartSuite.DISCARD, Duration.ofSeconds(30)).exitCode(), "cold sandbox");
            }
        }, () -> cold.getAndSet(null).close());

        try (Orchestrator server = env.credpool().serverOrchestrator(null, new SimpleMeterRegistry())) {
            WarmPool pool = server.pools().pool("bench-pool").orElseThrow(() -> new Bench.CaseFailed("bench-pool has no warm pool", null));
            Bench.Op full = () -> awaitFull(pool);
            AtomicReference<Lease> held = new AtomicReference<>();
            bench.latency("pool", "pool: lease only (uncached version check)", BARE, warm, n, full, () -> {
                held.set(pool.lease().orElseThrow(() -> new Bench.CaseFailed("no fresh member in a full pool", null)));
            }, () -> held.getAndSet(null).close());
            bench.latency("pool", "warm: lease + exec `true` in the member", BARE, warm, n, full, () -> {
                Lease l = pool.lease().orElseThrow(() -> new Bench.CaseFailed("no fresh member in a full pool", null));
                held.set(l);
                StartSuite.check(l.sandbox().run(List.of("true"), Map.of(), StartSuite.DISCARD, Duration.ofSeconds(30)).exitCode(),
                        "warm member");
            }, () -> held.getAndSet(null).close());
            long coldBefore = pool.status().coldStarts();
            bench.latency("pool", "credpool task, 1 pool-scope credential, warm", BARE, warm, n, full, () -> {
                TaskResult r = server.run(TaskRequest.of("bench-pool", List.of("true")), StartSuite.DISCARD);
                StartSuite.check(r.exitCode(), "warm task");
            }, () -> { });
            if (pool.status().coldStarts() != coldBefore) {
                throw new Bench.CaseFailed("a 'warm' task started cold: the numbers would mix warm and cold", null);
            }
        }
        bench.latency("pool", COLD_TASK, BARE, warm, n, () -> {
            TaskResult r = env.orchestrator().run(TaskRequest.of("bench-pool", List.of("true")), StartSuite.DISCARD);
            StartSuite.check(r.exitCode(), "cold task");
        });
    }

    private static void awaitFull(WarmPool pool) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!pool.status().fullyFresh()) {
            if (System.nanoTime() > deadline) {
                throw new Bench.CaseFailed("the pool did not refill within 30 s: " + pool.status(), null);
            }
            Thread.sleep(1);
        }
    }
}
