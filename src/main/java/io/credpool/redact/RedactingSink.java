package io.credpool.redact;

import io.credpool.sandbox.OutputSink;
import java.util.Objects;

/**
 * An {@link OutputSink} that redacts each stream before passing it on, so a value split across
 * writes at any point is still hidden.
 *
 * <p>Per stream it holds back at most {@link Redactor#holdBack()} bytes, the ones that could still
 * begin a match; everything before them is passed on within the same write. STDOUT and STDERR are
 * redacted independently (a value is never assembled from both), and may be written from two
 * threads at once; the downstream sink then sees calls from both threads, as it would without this
 * wrapper. Buffers passed downstream are reused once its {@code write} returns, so a downstream
 * that keeps bytes must copy them, as the {@link OutputSink} contract already implies.
 */
public final class RedactingSink implements OutputSink {
    private final OutputSink downstream;
    private final RedactionStream[] streams;
    private boolean finished;

    public RedactingSink(Redactor redactor, OutputSink downstream) {
        Objects.requireNonNull(redactor, "redactor");
        this.downstream = Objects.requireNonNull(downstream, "downstream");
        Stream[] all = Stream.values();
        this.streams = new RedactionStream[all.length];
        for (Stream s : all) {
            streams[s.ordinal()] = redactor.newStream((buf, off, len) -> downstream.write(s, buf, off, len));
        }
    }

    /**
     * @throws IllegalStateException if called after {@link #finish()}
     */
    @Override
    public void write(Stream stream, byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        RedactionStream s = streams[stream.ordinal()];
        // Per-stream lock: the two pumps of a sandbox never wait on each other.
        synchronized (s) {
            s.write(buf, off, len);
        }
    }

    /** Flushes what each stream held back, then finishes the downstream sink. Idempotent. */
    @Override
    public void finish() {
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
        }
        for (RedactionStream s : streams) {
            synchronized (s) {
                s.finish();
            }
        }
        downstream.finish();
    }
}
