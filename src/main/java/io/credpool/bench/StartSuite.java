package io.credpool.bench;

import io.credpool.config.TaskType;
import io.credpool.sandbox.OutputSink;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxBackend;
import io.credpool.sandbox.SandboxSpec;
import io.credpool.sandbox.TaskExit;
import io.credpool.sandbox.process.ProcessSandboxBackend;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Task start latency: a trivial task (`true`) from request to exit, which is start-to-first-
 * instruction plus one exit. Baselines: a bare fork/exec and a bare bubblewrap sandbox with the
 * same isolation flags credpool uses. Also how it grows with credentials per task type.
 */
public final class StartSuite {
    static final String FORK_EXEC = "fork/exec `env VAR=x true`";
    static final String BARE_BWRAP = "bare `bwrap <credpool's flags> true`";
    static final OutputSink DISCARD = (stream, buf, off, len) -> { };

    private StartSuite() {
    }

    public static void run(Bench bench, BenchEnv env) {
        int n = bench.reps(200);
        int warm = bench.reps(20);
        bench.latency("start", FORK_EXEC, null, warm, n, () -> exec(List.of("/usr/bin/env", "VAR=x", "/usr/bin/true")));
        List<String> bwrap = bareBubblewrap(env);
        bench.latency("start", BARE_BWRAP, FORK_EXEC, warm, n, () -> exec(bwrap));
        SandboxBackend backend = backend(env);
        bench.latency("start", "credpool sandbox: agent start + exec `true`", BARE_BWRAP, warm, n, () -> {
            try (Sandbox s = backend.create(new SandboxSpec("bench", Optional.empty(), false, Map.of()))) {
                TaskExit exit = s.run(List.of("true"), Map.of(), DISCARD, Duration.ofSeconds(30));
                check(exit.exitCode(), "credpool sandbox");
            }
        });
        for (int creds : new int[] {0, 1, 10, 100}) {
            if (bench.quick() && creds > 1) {
                continue;
            }
            String type = "bench-" + creds;
            bench.latency("start", "credpool task, " + creds + " credential" + (creds == 1 ? "" : "s")
                    + " (fetch, audit, redact, sandbox)", BARE_BWRAP, warm, creds == 100 ? n / 2 : n, () -> {
                TaskResult r = env.orchestrator().run(TaskRequest.of(type, List.of("true")), DISCARD);
                check(r.exitCode(), type);
            });
        }
    }

    static List<String> bareBubblewrap(BenchEnv env) {
        SandboxBackend backend = backend(env);
        if (!(backend instanceof ProcessSandboxBackend p) || p.mode() != ProcessSandboxBackend.Mode.BUBBLEWRAP) {
            throw new Bench.CaseFailed("the start suite compares with bubblewrap, and this host's sandbox is "
                    + backend.name() + ": install bubblewrap", null);
        }
        List<String> cmd = new ArrayList<>(p.bubblewrapIsolation(new SandboxSpec("bench", Optional.empty(), false, Map.of())));
        cmd.addAll(List.of("--chdir", "/", "/usr/bin/true"));
        return cmd;
    }

    static SandboxBackend backend(BenchEnv env) {
        TaskType type = env.orchestrator().config().taskType("bench-0").orElseThrow();
        return env.credpool().sandboxes().forType(type);
    }

    static void exec(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        check(pb.start().waitFor(), command.get(0));
    }

    static void check(int exitCode, String what) {
        if (exitCode != 0) {
            throw new Bench.CaseFailed(what + " exited with " + exitCode, null);
        }
    }
}
