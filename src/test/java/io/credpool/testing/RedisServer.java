package io.credpool.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A private redis-server for tests: loopback only, a free port, no persistence, in a temp dir;
 * {@link #close()} stops it. Its default user has no password (nopass), so the test is its admin.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start()) {
 *     redis.port(); redis.address();     // "127.0.0.1:PORT"
 *     redis.freeze(); redis.thaw();      // SIGSTOP/SIGCONT: clients time out, as if the host hung
 *     redis.stop(); redis.start();       // port closed, then a fresh empty server on the same port
 * }
 * }</pre>
 */
public final class RedisServer implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/redis-server");

    private final Path dir;
    private final int port;
    private Process process;

    private RedisServer(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Starts a server; fails in CI or skips elsewhere when redis-server is not installed. */
    public static RedisServer start() {
        ExternalTools.require(BINARY, "apt-get install redis-server");
        try {
            RedisServer server = new RedisServer(Files.createTempDirectory("credpool-redis"), ExternalTools.freePort());
            server.startProcess();
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temp dir for redis-server", e);
        }
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    /** host:port, as an issuer's address setting. */
    public String address() {
        return host() + ":" + port;
    }

    /** Starts it again on the same port after {@link #stop()}: an empty server (nothing persists). */
    public synchronized void restart() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("redis-server on port " + port + " is running; stop() it first");
        }
        startProcess();
    }

    /** Stops the server: connections are refused until {@link #restart()}. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Suspends the process (SIGSTOP): connections hang until a client's timeout, as on a hung host. */
    public synchronized void freeze() {
        ExternalTools.signal(process.pid(), "STOP");
    }

    /** Resumes a frozen server (SIGCONT). */
    public synchronized void thaw() {
        ExternalTools.signal(process.pid(), "CONT");
    }

    @Override
    public synchronized void close() {
        if (process != null) {
            thaw();
        }
        stop();
        ExternalTools.deleteTree(dir);
    }

    private void startProcess() {
        try {
            process = new ProcessBuilder(List.of(BINARY.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no"))
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("redis.log").toFile())
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + BINARY, e);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited at start (port " + port + "): " + log());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host(), port), 200);
                return;
            } catch (IOException e) {
                sleep();
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("redis-server did not listen on port " + port + " within 10 s: " + log());
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
