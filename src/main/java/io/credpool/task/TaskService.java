package io.credpool.task;

import io.credpool.sandbox.OutputSink;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks in the background for a long-lived orchestrator and keeps the recent ones, with their
 * redacted output, so that clients can ask how a task went. Refusals happen at submit time.
 */
public final class TaskService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TaskService.class);
    /** Output kept per stream per task; the rest is dropped and the view says so. */
    static final int MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

    private final Orchestrator orchestrator;
    private final ExecutorService executor;
    private final Map<String, Tracked> tasks;

    public TaskService(Orchestrator orchestrator, int keep) {
        this.orchestrator = orchestrator;
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "credpool-task");
            t.setDaemon(true);
            return t;
        });
        this.tasks = java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Tracked> eldest) {
                return size() > keep && eldest.getValue().done.isDone();
            }
        });
    }

    public Orchestrator orchestrator() {
        return orchestrator;
    }

    /** What a client may see of a task: status, result, never values. */
    public enum Status { RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ERROR }

    public record TaskView(String id, String type, Status status, Instant submitted, Optional<TaskResult> result,
            Optional<String> error) {
    }

    public record Output(byte[] stdout, byte[] stderr, boolean truncated) {
    }

    /** Checks and starts a task; returns at once. @throws TaskRefusedException as {@link Orchestrator#prepare}. */
    public TaskView submit(TaskRequest request) {
        Orchestrator.PreparedTask prepared = orchestrator.prepare(request);
        Tracked t = new Tracked(prepared.taskId(), prepared.taskType(), Instant.now());
        tasks.put(t.id, t);
        executor.execute(() -> {
            try {
                t.done.complete(prepared.execute(t.sink));
            } catch (RuntimeException e) {
                log.warn("task {} failed: {}", t.id, e.getMessage());
                t.done.completeExceptionally(e);
            }
        });
        return t.view();
    }

    /** Waits for a task to end and returns its final view. */
    public TaskView await(String id) {
        Tracked t = tracked(id);
        try {
            t.done.join();
        } catch (RuntimeException e) {
            // the view carries the error
        }
        return t.view();
    }

    public Optional<TaskView> get(String id) {
        return Optional.ofNullable(tasks.get(id)).map(Tracked::view);
    }

    public Optional<Output> output(String id) {
        return Optional.ofNullable(tasks.get(id)).map(t -> t.sink.snapshot());
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    private Tracked tracked(String id) {
        Tracked t = tasks.get(id);
        if (t == null) {
            throw new java.util.NoSuchElementException("no task '" + id + "'");
        }
        return t;
    }

    private static final class Tracked {
        final String id;
        final String type;
        final Instant submitted;
        final CompletableFuture<TaskResult> done = new CompletableFuture<>();
        final BufferSink sink = new BufferSink();

        Tracked(String id, String type, Instant submitted) {
            this.id = id;
            this.type = type;
            this.submitted = submitted;
        }

        TaskView view() {
            if (!done.isDone()) {
                return new TaskView(id, type, Status.RUNNING, submitted, Optional.empty(), Optional.empty());
            }
            try {
                TaskResult r = done.join();
                Status s = r.timedOut() ? Status.TIMED_OUT : r.exitCode() == 0 ? Status.SUCCEEDED : Status.FAILED;
                return new TaskView(id, type, s, submitted, Optional.of(r), Optional.empty());
            } catch (RuntimeException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                return new TaskView(id, type, Status.ERROR, submitted, Optional.empty(), Optional.of(String.valueOf(cause.getMessage())));
            }
        }
    }

    /** Keeps the (already redacted) output in memory, bounded. */
    private static final class BufferSink implements OutputSink {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private boolean truncated;

        @Override
        public synchronized void write(Stream stream, byte[] buf, int off, int len) {
            ByteArrayOutputStream b = stream == Stream.STDOUT ? out : err;
            int room = MAX_OUTPUT_BYTES - b.size();
            if (len > room) {
                truncated = true;
            }
            b.write(buf, off, Math.max(0, Math.min(len, room)));
        }

        synchronized Output snapshot() {
            return new Output(out.toByteArray(), err.toByteArray(), truncated);
        }
    }
}
