package io.credpool.sandbox;

/** Receives a task's output as it arrives; chunks split anywhere, including inside a secret. */
public interface OutputSink {
    enum Stream { STDOUT, STDERR }

    void write(Stream stream, byte[] buf, int off, int len);

    /** Called once after the last chunk of both streams. */
    default void finish() {
    }
}
