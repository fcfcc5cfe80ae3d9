package io.credpool.bench;

import io.credpool.app.Credpool;
import io.credpool.app.CredpoolHome;
import io.credpool.app.Initializer;
import io.credpool.config.Scope;
import io.credpool.issuer.ManualIssuer;
import io.credpool.pool.WarmPool;
import io.credpool.rotation.Rotation;
import io.credpool.rotation.RotationListener;
import io.credpool.rotation.RotationService;
import io.credpool.rotation.RotationStatus;
import io.credpool.secrets.Label;
import io.credpool.task.Orchestrator;
import io.credpool.task.ReceivedCredential;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Rotation wall time of a pool-scope credential for pools of 4, 16 and 64 members, against one
 * bare refresh of the same pool, under a load of warm tasks. The issuer is a manual one with an
 * automatic confirmation (no external service: the numbers are credpool's own: journal, pool
 * rebuild, verification task, drain). An "auth failure" is a task that received the old version
 * after it was revoked; it is counted and printed beside (it must be 0).
 */
public final class RotationSuite {
    static final int[] SIZES = {4, 16, 64};

    private RotationSuite() {
    }

    public static void run(Bench bench, java.io.PrintStream progress) throws IOException {
        Path dir = Files.createTempDirectory("credpool-bench-rotation-");
        CredpoolHome home = new CredpoolHome(dir);
        Initializer.init(home);
        StringBuilder yaml = new StringBuilder("version: 1\ndefaults: {timeout: 1m}\ncredentials:\n");
        for (int n : SIZES) {
            yaml.append("  rot-").append(n).append(":\n    issuer: {kind: manual}\n    rotation: {every: 30d, verify_with: rot-")
                    .append(n).append("-check, verify_command: 'test -n \"$K\"', grace: 0s}\n");
        }
        yaml.append("task_types:\n");
        for (int n : SIZES) {
            yaml.append("  rot-").append(n).append(":\n    pool: {size: ").append(n).append(", max_age: 1h}\n")
                    .append("    credentials: [{name: rot-").append(n).append(", env: K, scope: pool}]\n");
            yaml.append("  rot-").append(n).append("-check:\n    credentials: [{name: rot-").append(n).append(", env: K, scope: task}]\n");
        }
        Files.writeString(home.config(), yaml, StandardCharsets.UTF_8);
        int reps = bench.quick() ? 1 : 2;
        try (Credpool cp = Credpool.open(home)) {
            for (int n : SIZES) {
                cp.secrets().put("rot-" + n, ("initial-" + n).getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty());
            }
            try (Orchestrator server = cp.serverOrchestrator(null, new SimpleMeterRegistry());
                    RotationService rotations = cp.rotations(server, true, (credential, value) -> true)) {
                for (int n : SIZES) {
                    WarmPool pool = server.pools().pool("rot-" + n).orElseThrow();
                    Bench.Op full = () -> awaitFull(pool);
                    String refresh = "bare pool refresh, " + n + " members";
                    bench.latency("rotation", refresh, null, 0, reps, full, () -> {
                        pool.refresh();
                        awaitFull(pool);
                    }, () -> { });
                    AtomicInteger failures = new AtomicInteger();
                    AtomicInteger tasks = new AtomicInteger();
                    bench.latency("rotation", "rotate pool-scope credential, pool of " + n + ", under load", refresh, 0, reps, full,
                            () -> rotateUnderLoad(server, rotations, "rot-" + n, failures, tasks), () -> { });
                    progress.printf("    pool of %d: %d tasks ran during the rotations, auth failures (old version after revoke): %d%n",
                            n, tasks.get(), failures.get());
                    if (failures.get() != 0) {
                        throw new Bench.CaseFailed(failures.get() + " task(s) received a revoked version during rotation of a pool of "
                                + n, null);
                    }
                }
            }
        } finally {
            try (var s = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void rotateUnderLoad(Orchestrator server, RotationService rotations, String credential, AtomicInteger failures,
            AtomicInteger tasks) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        List<Object[]> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread load = new Thread(() -> {
            while (!stop.get()) {
                Instant started = Instant.now();
                TaskResult r = server.run(TaskRequest.of(credential, List.of("true")), StartSuite.DISCARD);
                ran.add(new Object[] {started, r.received().stream().filter(c -> c.scope() == Scope.POOL)
                        .map(ReceivedCredential::version).findFirst().orElse("")});
            }
        }, "bench-rotation-load");
        load.start();
        Rotation r;
        try {
            r = rotations.rotate(credential, Optional.empty(), RotationListener.NONE);
        } finally {
            stop.set(true);
            load.join();
        }
        if (r.status() != RotationStatus.DONE) {
            throw new Bench.CaseFailed("rotation of " + credential + " ended " + r.status().lower() + ": " + r.error().orElse(""), null);
        }
        Instant revoked = r.journal().stream().filter(e -> e.step() == io.credpool.rotation.Step.REVOKE_OLD)
                .map(io.credpool.rotation.JournalEntry::at).findFirst().orElseThrow();
        String old = r.oldVersion().orElseThrow();
        for (Object[] x : ran) {
            tasks.incrementAndGet();
            if (old.equals(x[1]) && ((Instant) x[0]).isAfter(revoked)) {
                failures.incrementAndGet();
            }
        }
    }

    private static void awaitFull(WarmPool pool) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (!pool.status().fullyFresh()) {
            if (System.nanoTime() > deadline) {
                throw new Bench.CaseFailed("the pool did not fill within 120 s: " + pool.status(), null);
            }
            Thread.sleep(5);
        }
    }
}
