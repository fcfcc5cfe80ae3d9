package io.credpool.bench;

import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxSpec;
import io.credpool.sandbox.TaskExit;
import io.credpool.sandbox.microvm.GuestImage;
import io.credpool.sandbox.microvm.ImageBuilder;
import io.credpool.sandbox.microvm.MicroVmBackend;
import io.credpool.secrets.SecretValue;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * MicroVM start latency, each case ending with the exit of `true` (first instruction plus one
 * exit): a cold boot (the baseline), a restore from an encrypted snapshot template, and the lease
 * of a member that was restored beforehand and waits paused, as a warm pool holds them.
 */
public final class MicroVmSuite {
    static final String COLD = "microVM cold boot + exec `true`";

    private MicroVmSuite() {
    }

    public static void run(Bench bench, BenchEnv env, PrintStream progress) {
        GuestImage image = ImageBuilder.forHost().build(env.dir().resolve("images"));
        SandboxSpec spec = new SandboxSpec("bench-vm", Optional.empty(), false, Map.of("POOL_KEY",
                SecretValue.of("bench-pool-key", "v1", "bench-pool-value".getBytes(StandardCharsets.US_ASCII))));
        try (MicroVmBackend warm = new MicroVmBackend(MicroVmBackend.Settings.defaults(image, env.dir().resolve("vm-warm")));
             MicroVmBackend cold = new MicroVmBackend(MicroVmBackend.Settings.defaults(image, env.dir().resolve("vm-cold"))
                     .withAccel(warm.accel()).withSnapshots(false))) {
            progress.println("  microvm: accelerator " + warm.accel().name().toLowerCase()
                    + "; guest " + image.id() + ", 256 MiB, 1 vCPU");
            bench.latency("microvm", COLD, null, 1, bench.reps(10), () -> createAndRun(cold, spec));
            bench.latency("microvm", "restore from encrypted snapshot file + exec `true`", COLD, 2, bench.reps(20),
                    () -> createAndRun(warm, spec));
            try (MicroVmBackend inMemory = new MicroVmBackend(MicroVmBackend.Settings.defaults(image,
                    env.dir().resolve("vm-memory")).withAccel(warm.accel()).withStorage(MicroVmBackend.SnapshotStorage.MEMORY))) {
                bench.latency("microvm", "restore from in-memory snapshot + exec `true`", COLD, 2, bench.reps(20),
                        () -> createAndRun(inMemory, spec));
            }

            int n = bench.reps(20);
            Deque<Sandbox> ready = new ArrayDeque<>();
            List<Sandbox> used = new ArrayList<>();
            try {
                for (int i = 0; i < n + 1; i++) {
                    ready.add(warm.create(spec)); // not measured: the pool does this in the background
                }
                bench.latency("microvm", "lease of a ready (restored, paused) member + exec `true`", COLD, 1, n, () -> {
                    Sandbox s = ready.poll();
                    used.add(s);
                    check(s.run(List.of("true"), Map.of(), StartSuite.DISCARD, Duration.ofSeconds(60)));
                });
            } finally {
                ready.forEach(Sandbox::close);
                used.forEach(Sandbox::close);
            }
        }
    }

    private static void createAndRun(MicroVmBackend backend, SandboxSpec spec) {
        try (Sandbox s = backend.create(spec)) {
            check(s.run(List.of("true"), Map.of(), StartSuite.DISCARD, Duration.ofSeconds(60)));
        }
    }

    private static void check(TaskExit exit) {
        StartSuite.check(exit.exitCode(), "the microVM task");
    }
}
