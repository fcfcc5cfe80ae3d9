package io.credpool.pool;

import io.credpool.sandbox.OutputSink;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxBackend;
import io.credpool.sandbox.SandboxException;
import io.credpool.sandbox.SandboxSpec;
import io.credpool.sandbox.TaskExit;
import io.credpool.secrets.SecretValue;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An instant in-memory backend for tests of the pool's own logic (CAS, staleness, backoff), where
 * bubblewrap would only add time. Each sandbox remembers the versions baked into it.
 */
final class FakeBackend implements SandboxBackend {
    final AtomicInteger attempts = new AtomicInteger();
    final AtomicBoolean failing = new AtomicBoolean();
    final ConcurrentLinkedQueue<FakeSandbox> created = new ConcurrentLinkedQueue<>();

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public Sandbox create(SandboxSpec spec) {
        int n = attempts.incrementAndGet();
        if (failing.get()) {
            throw new SandboxException("fake backend: cannot start sandbox #" + n);
        }
        Map<String, String> versions = new TreeMap<>();
        spec.bakedEnv().forEach((env, v) -> versions.put(env, v.version()));
        FakeSandbox s = new FakeSandbox("fake-" + n, versions);
        created.add(s);
        return s;
    }

    static final class FakeSandbox implements Sandbox {
        final String id;
        /** Baked variable -> version id. */
        final Map<String, String> bakedVersions;
        final AtomicInteger runs = new AtomicInteger();
        final AtomicBoolean closed = new AtomicBoolean();
        final AtomicBoolean dead = new AtomicBoolean();

        FakeSandbox(String id, Map<String, String> bakedVersions) {
            this.id = id;
            this.bakedVersions = bakedVersions;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public boolean isReady() {
            return !dead.get() && !closed.get() && runs.get() == 0;
        }

        @Override
        public TaskExit run(List<String> command, Map<String, SecretValue> env, OutputSink output, Duration timeout) {
            if (runs.incrementAndGet() != 1) {
                throw new IllegalStateException(id + " ran a second command");
            }
            if (closed.get()) {
                throw new IllegalStateException(id + " is closed");
            }
            return new TaskExit(0, false, Duration.ZERO);
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }
}
