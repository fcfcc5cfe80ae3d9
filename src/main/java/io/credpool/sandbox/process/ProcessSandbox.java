package io.credpool.sandbox.process;

import io.credpool.sandbox.AgentProtocol;
import io.credpool.sandbox.HostDirs;
import io.credpool.sandbox.OutputSink;
import io.credpool.sandbox.OutputTail;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxException;
import io.credpool.sandbox.TaskExit;
import io.credpool.sandbox.process.ProcessSandboxBackend.Mode;
import io.credpool.secrets.SecretValue;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One sandbox of {@link ProcessSandboxBackend}: a launcher process with the agent inside. */
final class ProcessSandbox implements Sandbox {
    private static final Logger log = LoggerFactory.getLogger(ProcessSandbox.class);

    /** 128 + SIGKILL, what a shell reports for a killed task. */
    static final int KILLED_STATUS = 137;
    private static final Duration REAP_TIMEOUT = Duration.ofSeconds(5);
    private static final int STDERR_TAIL_BYTES = 2048;

    private enum State { STARTING, READY, RUNNING, DONE, CLOSED }

    private final String id;
    private final String label;
    private final Mode mode;
    private final Process process;
    private final OutputStream toAgent;
    private final Optional<Path> hostDir;
    private final OutputTail stderr = new OutputTail(STDERR_TAIL_BYTES);
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);
    private final AtomicReference<RuntimeException> sinkFailure = new AtomicReference<>();
    private final Thread frameReader;
    private final Thread stderrReader;
    private volatile OutputSink sink;

    private ProcessSandbox(String id, String label, Mode mode, Process process, Optional<Path> hostDir) {
        this.id = id;
        this.label = label;
        this.mode = mode;
        this.process = process;
        this.toAgent = process.getOutputStream();
        this.hostDir = hostDir;
        this.frameReader = new Thread(this::readFrames, "credpool-" + id + "-agent");
        this.stderrReader = new Thread(this::readStderr, "credpool-" + id + "-stderr");
        frameReader.setDaemon(true);
        stderrReader.setDaemon(true);
    }

    /** Starts the launcher with an empty environment: nothing of the host's reaches the task. */
    static ProcessSandbox start(String id, String label, Mode mode, List<String> command, Optional<Path> hostDir) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new SandboxException("cannot start " + mode + " sandbox " + id + " for '" + label + "': "
                    + e.getMessage(), e);
        }
        ProcessSandbox sandbox = new ProcessSandbox(id, label, mode, process, hostDir);
        sandbox.frameReader.start();
        sandbox.stderrReader.start();
        return sandbox;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public boolean isReady() {
        return state.get() == State.READY && process.isAlive();
    }

    /** The host-side directories this sandbox owns (empty under bubblewrap); deleted on close. */
    Optional<Path> hostDirectory() {
        return hostDir;
    }

    /** The launcher's process, so that tests can look at the tree. */
    ProcessHandle processHandle() {
        return process.toHandle();
    }

    void awaitReady(Duration timeout) {
        try {
            ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            state.compareAndSet(State.STARTING, State.READY);
        } catch (TimeoutException e) {
            // Process.destroy closes the stderr pipe: take what was read before killing.
            String tail = tail(stderr.text());
            killTree();
            throw new SandboxException(describe() + " did not become ready within " + timeout.toMillis()
                    + " ms" + tail);
        } catch (ExecutionException e) {
            // The launcher has ended: read its stderr to the end before the kill closes the pipe.
            String tail = stderrTail();
            killTree();
            throw new SandboxException(describe() + " could not start: " + e.getCause().getMessage() + tail,
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killTree();
            throw new SandboxException(describe() + " was interrupted while starting");
        }
    }

    /** Sends variables to the agent; they only ever travel over its stdin pipe. */
    void inject(Map<String, SecretValue> env) {
        // Check every name first so that a bad one never leaves the agent half-injected.
        env.forEach((name, value) -> {
            if (!AgentProtocol.isValidName(name)) {
                throw new SandboxException("cannot inject credential '" + value.name() + "' as environment variable '"
                        + name + "': the name must match [A-Za-z_][A-Za-z0-9_]*");
            }
        });
        try {
            for (Map.Entry<String, SecretValue> e : env.entrySet()) {
                AgentProtocol.writeEnv(toAgent, e.getKey(), e.getValue());
            }
            toAgent.flush();
        } catch (IOException e) {
            throw new SandboxException(describe() + " stopped while receiving its environment" + stderrTail(), e);
        }
    }

    @Override
    public TaskExit run(List<String> command, Map<String, SecretValue> env, OutputSink output, Duration timeout) {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(env, "env");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(timeout, "timeout");
        if (!state.compareAndSet(State.READY, State.RUNNING)) {
            State now = state.get();
            throw new IllegalStateException(describe() + switch (now) {
                case STARTING -> " is not ready yet";
                case READY -> " is ready";
                case RUNNING, DONE -> " has already run a command; a sandbox runs one command, create another";
                case CLOSED -> " is closed";
            });
        }
        sink = output;
        long started = System.nanoTime();
        try {
            inject(env);
            AgentProtocol.writeExec(toAgent, command);
            toAgent.flush();
            int status = exit.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            RuntimeException failure = sinkFailure.get();
            if (failure != null) {
                throw new SandboxException(describe() + ": the output sink failed: " + failure.getMessage(), failure);
            }
            return new TaskExit(status, false, Duration.ofNanos(System.nanoTime() - started));
        } catch (TimeoutException e) {
            log.info("{} outlived its timeout of {} ms; killing its process tree", describe(), timeout.toMillis());
            killTree();
            join(frameReader);
            return new TaskExit(KILLED_STATUS, true, Duration.ofNanos(System.nanoTime() - started));
        } catch (ExecutionException e) {
            throw new SandboxException(describe() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (IOException e) {
            throw new SandboxException(describe() + " stopped before its command started" + stderrTail(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killTree();
            throw new SandboxException(describe() + " was interrupted while running its command");
        } finally {
            state.compareAndSet(State.RUNNING, State.DONE);
            sink = null;
            output.finish();
        }
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        try {
            // End of input tells the agent to kill its task; the kill below does not rely on it.
            toAgent.close();
        } catch (IOException e) {
            // the agent is gone already
        }
        killTree();
        join(frameReader);
        join(stderrReader);
        hostDir.ifPresent(HostDirs::deleteTree);
        log.debug("{} closed", describe());
    }

    /**
     * Kills everything the sandbox started. With a pid namespace, killing the launcher is enough
     * (bwrap --die-with-parent, unshare --kill-child); unsandboxed, the agent kills its task's
     * process group on SIGTERM and, as a subreaper, keeps orphans in its tree for the sweep below.
     */
    private void killTree() {
        List<ProcessHandle> tree = process.descendants().toList();
        if (mode == Mode.UNSANDBOXED && process.isAlive()) {
            process.destroy();
            waitFor(Duration.ofMillis(500));
        }
        process.destroyForcibly();
        tree.forEach(ProcessHandle::destroyForcibly);
        if (!waitFor(REAP_TIMEOUT)) {
            log.warn("{}: launcher process {} did not exit after SIGKILL", describe(), process.pid());
        }
    }

    private boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void join(Thread thread) {
        try {
            thread.join(REAP_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void readFrames() {
        try (InputStream in = new BufferedInputStream(process.getInputStream())) {
            for (;;) {
                Optional<AgentProtocol.Frame> next = AgentProtocol.read(in);
                if (next.isEmpty()) {
                    break;
                }
                AgentProtocol.Frame frame = next.get();
                switch (frame.type()) {
                    case AgentProtocol.READY -> ready.complete(null);
                    case AgentProtocol.STDOUT -> deliver(OutputSink.Stream.STDOUT, frame.payload());
                    case AgentProtocol.STDERR -> deliver(OutputSink.Stream.STDERR, frame.payload());
                    case AgentProtocol.EXIT -> exit.complete(frame.exitStatus());
                    case AgentProtocol.FAILURE -> fail(new SandboxException(frame.text()));
                    default -> fail(new SandboxException("agent sent an unexpected frame type " + frame.type()));
                }
            }
            fail(new SandboxException(state.get() == State.CLOSED ? "the sandbox was closed"
                    : "the " + mode + " sandbox process ended" + exitDescription()));
        } catch (IOException | SandboxException e) {
            fail(new SandboxException(state.get() == State.CLOSED ? "the sandbox was closed"
                    : "the agent's output was unreadable (" + e.getMessage() + ")", e));
        }
    }

    private void deliver(OutputSink.Stream stream, byte[] chunk) {
        OutputSink current = sink;
        if (current == null || sinkFailure.get() != null) {
            return;
        }
        try {
            current.write(stream, chunk, 0, chunk.length);
        } catch (RuntimeException e) {
            // Keep reading so that the agent never blocks on a full pipe; run() reports it.
            sinkFailure.compareAndSet(null, e);
        }
    }

    private void fail(SandboxException e) {
        ready.completeExceptionally(e);
        exit.completeExceptionally(e);
    }

    private String exitDescription() {
        if (waitFor(Duration.ofSeconds(1))) {
            return " with status " + process.exitValue();
        }
        return "";
    }

    private void readStderr() {
        try (InputStream in = process.getErrorStream()) {
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) {
                stderr.append(buf, n);
            }
        } catch (IOException e) {
            // the launcher is gone; what was read is kept
        }
    }

    /**
     * The launcher's and agent's own stderr (bwrap, unshare, cp); the task's stderr goes over the
     * protocol, and no value has been sent when the startup messages are written.
     */
    private String stderrTail() {
        try {
            stderrReader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return tail(stderr.text());
    }

    private static String tail(String text) {
        String tail = text.strip();
        return tail.isEmpty() ? "" : "; its stderr ends with: " + tail;
    }

    private String describe() {
        return mode + " sandbox " + id + " for '" + label + "'";
    }
}
