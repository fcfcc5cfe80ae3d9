package io.credpool.sandbox.process;

import io.credpool.sandbox.OutputSink;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Keeps a task's output for assertions, and lets a test wait for a line to show up. */
final class CollectingSink implements OutputSink {
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private int finished;

    @Override
    public synchronized void write(Stream stream, byte[] buf, int off, int len) {
        (stream == Stream.STDOUT ? stdout : stderr).write(buf, off, len);
        notifyAll();
    }

    @Override
    public synchronized void finish() {
        finished++;
        notifyAll();
    }

    synchronized byte[] stdoutBytes() {
        return stdout.toByteArray();
    }

    synchronized String stdout() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    synchronized String stderr() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    synchronized int finishCalls() {
        return finished;
    }

    /** Waits until stdout contains {@code text}; false if it did not within {@code limit}. */
    synchronized boolean awaitStdout(String text, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!stdout().contains(text)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }
}
