package io.credpool.bench;

import io.credpool.task.TaskRequest;
import java.util.List;

/** Trivial tasks per second at several concurrencies, against as many bare bubblewrap runs. */
public final class ThroughputSuite {
    private ThroughputSuite() {
    }

    public static void run(Bench bench, BenchEnv env) {
        List<String> bwrap = StartSuite.bareBubblewrap(env);
        int total = bench.reps(200);
        for (int c : new int[] {1, 2, 8}) {
            String base = "bare bwrap, concurrency " + c;
            bench.throughput("throughput", base, null, c, total, () -> StartSuite.exec(bwrap));
            bench.throughput("throughput", "credpool task (1 credential), concurrency " + c, base, c, total, () ->
                    StartSuite.check(env.orchestrator().run(TaskRequest.of("bench-1", List.of("true")), StartSuite.DISCARD).exitCode(),
                            "credpool task"));
        }
    }
}
