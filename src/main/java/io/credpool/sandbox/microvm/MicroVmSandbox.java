package io.credpool.sandbox.microvm;

import io.credpool.sandbox.AgentProtocol;
import io.credpool.sandbox.HostDirs;
import io.credpool.sandbox.OutputSink;
import io.credpool.sandbox.OutputTail;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxException;
import io.credpool.sandbox.TaskExit;
import io.credpool.secrets.SecretValue;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One QEMU microVM with the credpool agent as its init, spoken to over its serial line (QEMU's
 * stdin and stdout) and steered through QMP. Values travel only over the serial line.
 */
final class MicroVmSandbox implements Sandbox {
    private static final Logger log = LoggerFactory.getLogger(MicroVmSandbox.class);

    static final int KILLED_STATUS = 137;
    private static final int TAIL_BYTES = 2048;
    /** What the agent's ready frame looks like on the wire; kernel text before it is skipped. */
    private static final byte[] READY_FRAME = AgentProtocol.encode(AgentProtocol.READY,
            AgentProtocol.READY_TEXT.getBytes(StandardCharsets.US_ASCII));

    private enum State { STARTING, READY, RUNNING, DONE, CLOSED }

    /** A control frame from the agent, or the reason none will come. */
    private record Control(AgentProtocol.Frame frame, SandboxException error) {
    }

    private final String id;
    private final String label;
    private final Process qemu;
    private final Path runDir;
    private final OutputStream serial;
    private final OutputTail console = new OutputTail(TAIL_BYTES);
    private final OutputTail stderr = new OutputTail(TAIL_BYTES);
    private final BlockingQueue<Control> control = new LinkedBlockingQueue<>();
    private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);
    private final AtomicReference<RuntimeException> sinkFailure = new AtomicReference<>();
    private final Thread reader;
    private final Thread stderrReader;
    private final Qmp qmp;
    private final SecureRandom random;
    private volatile OutputSink sink;
    private volatile boolean paused;
    private volatile Runnable onClose = () -> { };

    private MicroVmSandbox(String id, String label, Process qemu, Path runDir, boolean coldBoot, Qmp qmp,
            SecureRandom random) {
        this.id = id;
        this.label = label;
        this.qemu = qemu;
        this.runDir = runDir;
        this.serial = qemu.getOutputStream();
        this.qmp = qmp;
        this.random = random;
        this.reader = new Thread(() -> readFrames(coldBoot), "credpool-" + id + "-serial");
        this.stderrReader = new Thread(this::readStderr, "credpool-" + id + "-stderr");
        reader.setDaemon(true);
        stderrReader.setDaemon(true);
    }

    /**
     * Starts QEMU. With {@code coldBoot} the agent's ready frame is awaited after the kernel's
     * output; a restored guest says nothing until spoken to.
     */
    static MicroVmSandbox start(String id, String label, List<String> command, Path runDir, Path qmpSocket,
            boolean coldBoot, Duration timeout, SecureRandom random) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new SandboxException("cannot start QEMU for microVM " + id + " ('" + label + "'): " + e.getMessage()
                    + "; install qemu-system-x86 (apt-get install --no-install-recommends qemu-system-x86)", e);
        }
        Qmp qmp;
        try {
            qmp = Qmp.connect(qmpSocket, System.nanoTime() + timeout.toNanos(), process.toHandle());
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            String err = drain(process);
            process.destroyForcibly();
            throw new SandboxException("QEMU for microVM " + id + " ('" + label + "') did not open its monitor"
                    + (err.isBlank() ? "" : "; QEMU said: " + err.strip()), e);
        }
        MicroVmSandbox vm = new MicroVmSandbox(id, label, process, runDir, coldBoot, qmp, random);
        vm.reader.start();
        vm.stderrReader.start();
        return vm;
    }

    private static String drain(Process p) {
        try {
            p.waitFor(200, TimeUnit.MILLISECONDS);
            return p.getErrorStream().available() > 0
                    ? new String(p.getErrorStream().readNBytes(Math.min(2048, p.getErrorStream().available())),
                            StandardCharsets.UTF_8)
                    : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public boolean isReady() {
        return state.get() == State.READY && qemu.isAlive();
    }

    /** QEMU's process, so that tests can read its command line. */
    ProcessHandle processHandle() {
        return qemu.toHandle();
    }

    /** Waits for the agent's ready frame after a cold boot. */
    void awaitReady(Duration timeout) {
        AgentProtocol.Frame f = expect(AgentProtocol.READY, timeout, "report ready");
        if (!f.text().equals(AgentProtocol.READY_TEXT)) {
            throw failAndKill("its agent speaks an unknown protocol version");
        }
    }

    /** Sends variables to the agent: names are checked first so that nothing is half-injected. */
    void inject(Map<String, SecretValue> env) {
        env.forEach((name, value) -> {
            if (!AgentProtocol.isValidName(name)) {
                throw new SandboxException("cannot inject credential '" + value.name() + "' as environment variable '"
                        + name + "': the name must match [A-Za-z_][A-Za-z0-9_]*");
            }
        });
        try {
            for (Map.Entry<String, SecretValue> e : env.entrySet()) {
                AgentProtocol.writeEnv(serial, e.getKey(), e.getValue());
            }
            serial.flush();
        } catch (IOException e) {
            throw failAndKill("stopped while receiving its environment");
        }
    }

    /**
     * Sends fresh entropy and waits for the agent's answer. After a restore this must come before
     * anything else: every clone of a snapshot starts from the same RNG state. Its answer also
     * proves that every frame sent before it has been consumed.
     */
    void reseed(Duration timeout) {
        byte[] payload = new byte[AgentProtocol.NONCE_BYTES + 64];
        random.nextBytes(payload);
        byte[] nonce = Arrays.copyOf(payload, AgentProtocol.NONCE_BYTES);
        try {
            AgentProtocol.writeFrame(serial, AgentProtocol.RESEED, payload, 0, payload.length);
            serial.flush();
        } catch (IOException e) {
            throw failAndKill("stopped before it could be reseeded");
        } finally {
            Arrays.fill(payload, (byte) 0);
        }
        AgentProtocol.Frame ack = expect(AgentProtocol.ACK, timeout, "answer the reseed frame");
        if (!Arrays.equals(ack.payload(), nonce)) {
            throw failAndKill("answered the reseed frame with the wrong nonce (the serial stream is out of step)");
        }
    }

    /**
     * Has the agent run {@code true} once. Under TCG a restored guest starts with an empty
     * translation cache, and the task's fork and exec would pay for filling it; a pool member
     * pays here instead, before it is leased.
     */
    void prime(Duration timeout) {
        byte[] nonce = new byte[AgentProtocol.NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            AgentProtocol.writeFrame(serial, AgentProtocol.PRIME, nonce, 0, nonce.length);
            serial.flush();
        } catch (IOException e) {
            throw failAndKill("stopped before it could be primed");
        }
        AgentProtocol.Frame ack = expect(AgentProtocol.ACK, timeout, "answer the prime frame");
        if (!Arrays.equals(ack.payload(), nonce)) {
            throw failAndKill("answered the prime frame with the wrong nonce (the serial stream is out of step)");
        }
    }

    /** Streams the workspace into the guest's tmpfs as cpio chunks. */
    void sendWorkspace(Path workspace, long maxBytes) {
        try (OutputStream chunks = new ChunkStream(serial)) {
            Workspace.write(workspace, chunks, maxBytes);
        } catch (IOException e) {
            throw failAndKill("stopped while receiving its workspace: " + e.getMessage());
        }
    }

    /** Writes raw bytes on the serial line; tests use it to send malformed frames. */
    void sendRaw(byte[] bytes) throws IOException {
        serial.write(bytes);
        serial.flush();
    }

    /** Pauses the guest: a waiting pool member costs no CPU. */
    void pause() {
        monitor("stop", Map.of());
        paused = true;
        state.compareAndSet(State.STARTING, State.READY);
    }

    void resume() {
        monitor("cont", Map.of());
        paused = false;
    }

    /**
     * Takes a memory snapshot: pauses the guest and streams QEMU's migration through a unix socket
     * into an {@link EncryptedSnapshot} at {@code file}, or into the heap when there is no file, so
     * that no plaintext byte of guest memory reaches the disk. The guest stays paused.
     */
    Snapshot snapshot(Optional<Path> file, Duration timeout) {
        Path socket = runDir.resolve("out.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            monitor("stop", Map.of());
            paused = true;
            // QEMU 7.2 throttles migration to 32 MiB/s by default; this stream only goes to us.
            monitor("migrate-set-parameters", Map.of("max-bandwidth", 64L << 30));
            CompletableFuture<Snapshot> written = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel ch = server.accept(); InputStream in = Channels.newInputStream(ch)) {
                    return file.isPresent() ? EncryptedSnapshot.write(file.get(), in, random) : MemorySnapshot.read(in);
                } catch (IOException e) {
                    throw new SandboxException("the snapshot stream failed: " + e.getMessage(), e);
                }
            });
            monitor("migrate", Map.of("uri", "unix:" + socket));
            Snapshot snapshot;
            try {
                snapshot = written.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                server.close();
                throw failAndKill("did not finish its snapshot within " + timeout.toMillis() + " ms");
            }
            awaitMigration(System.nanoTime() + timeout.toNanos(), "snapshot");
            return snapshot;
        } catch (IOException e) {
            throw failAndKill("could not be snapshotted: " + e.getMessage());
        } catch (ExecutionException e) {
            throw failAndKill("could not be snapshotted: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failAndKill("was interrupted while being snapshotted");
        } finally {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                // the run directory goes on close
            }
        }
    }

    /** Feeds a snapshot into this QEMU, started with {@code -incoming unix:SOCKET -S}, and waits for it. */
    void restore(Snapshot snapshot, Path socket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            SocketChannel ch = null;
            while (ch == null) {
                SocketChannel attempt = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    attempt.connect(UnixDomainSocketAddress.of(socket));
                    ch = attempt;
                } catch (IOException e) {
                    attempt.close();
                    if (System.nanoTime() > deadline || !qemu.isAlive()) {
                        throw e;
                    }
                    Thread.sleep(2);
                }
            }
            try (OutputStream out = Channels.newOutputStream(ch)) {
                snapshot.readTo(out);
            }
            awaitMigration(deadline, "restore");
            paused = true;
            state.compareAndSet(State.STARTING, State.READY);
        } catch (IOException e) {
            throw failAndKill("could not be restored from its snapshot: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failAndKill("was interrupted while being restored");
        }
    }

    private void awaitMigration(long deadline, String what) throws IOException, InterruptedException {
        for (;;) {
            String status = qmp.execute("query-migrate", Map.of()).path("status").asText();
            switch (status) {
                case "completed" -> {
                    return;
                }
                case "failed", "cancelled" -> throw new IOException("QEMU reports the " + what + " " + status);
                default -> {
                    if (System.nanoTime() > deadline) {
                        throw new IOException("the " + what + " did not complete in time (status " + status + ")");
                    }
                    Thread.sleep(2);
                }
            }
        }
    }

    private void monitor(String command, Map<String, Object> args) {
        try {
            qmp.execute(command, args);
        } catch (IOException e) {
            throw failAndKill("did not accept '" + command + "': " + e.getMessage());
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
            if (paused) {
                resume();
            }
            inject(env);
            AgentProtocol.writeExec(serial, command);
            serial.flush();
            AgentProtocol.Frame f;
            try {
                f = next(timeout);
            } catch (TimeoutException e) {
                log.info("{} outlived its timeout of {} ms; killing the VM", describe(), timeout.toMillis());
                kill();
                return new TaskExit(KILLED_STATUS, true, Duration.ofNanos(System.nanoTime() - started));
            }
            if (f.type() == AgentProtocol.FAILURE) {
                kill();
                throw new SandboxException(describe() + ": " + f.text());
            }
            if (f.type() != AgentProtocol.EXIT) {
                throw failAndKill("sent an unexpected frame type " + (char) f.type() + " while running its command");
            }
            RuntimeException failure = sinkFailure.get();
            if (failure != null) {
                throw new SandboxException(describe() + ": the output sink failed: " + failure.getMessage(), failure);
            }
            return new TaskExit(f.exitStatus(), false, Duration.ofNanos(System.nanoTime() - started));
        } catch (IOException e) {
            throw failAndKill("stopped before its command started");
        } finally {
            state.compareAndSet(State.RUNNING, State.DONE);
            sink = null;
            output.finish();
        }
    }

    /** Called once when closed: the backend stops tracking it. */
    void onClose(Runnable action) {
        this.onClose = action;
    }

    @Override
    public void close() {
        if (state.getAndSet(State.CLOSED) == State.CLOSED) {
            return;
        }
        onClose.run();
        kill();
        qmp.close();
        join(reader);
        join(stderrReader);
        HostDirs.deleteTree(runDir);
        log.debug("{} closed", describe());
    }

    /** Kills QEMU: the guest's RAM, and with it every value and tmpfs file, is gone. */
    void kill() {
        qemu.destroyForcibly();
        try {
            if (!qemu.waitFor(5, TimeUnit.SECONDS)) {
                log.warn("{}: QEMU process {} did not exit after SIGKILL", describe(), qemu.pid());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private SandboxException failAndKill(String what) {
        kill();
        return new SandboxException(describe() + " " + what + diagnostics());
    }

    private AgentProtocol.Frame expect(byte type, Duration timeout, String what) {
        AgentProtocol.Frame f;
        try {
            f = next(timeout);
        } catch (TimeoutException e) {
            throw failAndKill("did not " + what + " within " + timeout.toMillis() + " ms; QEMU was killed");
        }
        if (f.type() == AgentProtocol.FAILURE) {
            kill();
            throw new SandboxException(describe() + ": its agent failed: " + f.text());
        }
        if (f.type() != type) {
            throw failAndKill("sent frame type '" + (char) f.type() + "' where '" + (char) type + "' was expected");
        }
        return f;
    }

    private AgentProtocol.Frame next(Duration timeout) throws TimeoutException {
        Control c;
        try {
            c = control.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failAndKill("was interrupted");
        }
        if (c == null) {
            throw new TimeoutException();
        }
        if (c.error() != null) {
            kill();
            throw new SandboxException(describe() + ": " + c.error().getMessage() + diagnostics(), c.error());
        }
        return c.frame();
    }

    private void readFrames(boolean coldBoot) {
        try (InputStream in = new BufferedInputStream(qemu.getInputStream(), 1 << 16)) {
            if (coldBoot && !skipToReady(in)) {
                control.add(new Control(null, new SandboxException("QEMU exited before the agent was ready"
                        + exitDescription())));
                return;
            }
            for (;;) {
                Optional<AgentProtocol.Frame> next = AgentProtocol.read(in);
                if (next.isEmpty()) {
                    break;
                }
                AgentProtocol.Frame frame = next.get();
                switch (frame.type()) {
                    case AgentProtocol.STDOUT -> deliver(OutputSink.Stream.STDOUT, frame.payload());
                    case AgentProtocol.STDERR -> deliver(OutputSink.Stream.STDERR, frame.payload());
                    default -> control.add(new Control(frame, null));
                }
            }
            control.add(new Control(null, new SandboxException(state.get() == State.CLOSED ? "the microVM was closed"
                    : "the microVM stopped" + exitDescription())));
        } catch (IOException | SandboxException e) {
            control.add(new Control(null, new SandboxException(state.get() == State.CLOSED ? "the microVM was closed"
                    : "the agent's serial stream was unreadable (" + e.getMessage() + ")", e)));
        }
    }

    /** Skips the kernel's console output up to the agent's ready frame, which it queues. */
    private boolean skipToReady(InputStream in) throws IOException {
        int matched = 0;
        for (;;) {
            int b = in.read();
            if (b < 0) {
                return false;
            }
            if (b == (READY_FRAME[matched] & 0xff)) {
                matched++;
                if (matched == READY_FRAME.length) {
                    control.add(new Control(new AgentProtocol.Frame(AgentProtocol.READY,
                            AgentProtocol.READY_TEXT.getBytes(StandardCharsets.US_ASCII)), null));
                    return true;
                }
            } else {
                console.append(READY_FRAME, matched);
                matched = b == (READY_FRAME[0] & 0xff) ? 1 : 0;
                if (matched == 0) {
                    console.append(new byte[] {(byte) b}, 1);
                }
            }
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
            // Keep reading so that the guest never stalls on a full line; run() reports it.
            sinkFailure.compareAndSet(null, e);
        }
    }

    private void readStderr() {
        try (InputStream in = qemu.getErrorStream()) {
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) {
                stderr.append(buf, n);
            }
        } catch (IOException e) {
            // QEMU is gone; what was read is kept
        }
    }

    private String exitDescription() {
        try {
            if (qemu.waitFor(1, TimeUnit.SECONDS)) {
                return " (QEMU exited with status " + qemu.exitValue() + ")";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "";
    }

    /**
     * QEMU's own stderr and the kernel's console before the agent started: neither can hold a
     * value, because none is sent before the agent is ready and the agent then silences the console.
     */
    private String diagnostics() {
        try {
            stderrReader.join(qemu.isAlive() ? 0 : 500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String err = printable(stderr.text()).strip();
        String con = printable(console.text()).strip();
        return (err.isEmpty() ? "" : "; QEMU said: " + err) + (con.isEmpty() ? "" : "; the guest console ends with: " + con);
    }

    /** Drops the terminal control bytes a guest console carries; messages keep only text and newlines. */
    private static String printable(String text) {
        return text.replaceAll("[\\p{Cntrl}&&[^\n]]", "");
    }

    private String describe() {
        return "microVM " + id + " for '" + label + "'";
    }

    private static void join(Thread thread) {
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Cuts a byte stream into W frames; closing it sends the empty W that ends the stream. */
    private static final class ChunkStream extends OutputStream {
        private static final int CHUNK = 64 * 1024;
        private final OutputStream out;
        private final byte[] buf = new byte[CHUNK];
        private int n;

        ChunkStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int k = Math.min(len, CHUNK - n);
                System.arraycopy(b, off, buf, n, k);
                n += k;
                off += k;
                len -= k;
                if (n == CHUNK) {
                    flushChunk();
                }
            }
        }

        private void flushChunk() throws IOException {
            if (n > 0) {
                AgentProtocol.writeFrame(out, AgentProtocol.WORKSPACE, buf, 0, n);
                n = 0;
            }
        }

        @Override
        public void close() throws IOException {
            flushChunk();
            AgentProtocol.writeFrame(out, AgentProtocol.WORKSPACE, buf, 0, 0);
            out.flush();
        }
    }
}
