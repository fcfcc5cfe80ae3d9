package io.credpool.sandbox;

import java.nio.charset.StandardCharsets;

/** The last bytes a launcher wrote (bwrap's, QEMU's stderr, a guest console), kept for error messages. */
public final class OutputTail {
    private final byte[] ring;
    private long written;

    public OutputTail(int capacity) {
        ring = new byte[capacity];
    }

    public synchronized void append(byte[] buf, int len) {
        for (int i = 0; i < len; i++) {
            ring[(int) (written++ % ring.length)] = buf[i];
        }
    }

    /** The kept bytes as UTF-8, oldest first. */
    public synchronized String text() {
        int size = (int) Math.min(written, ring.length);
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = ring[(int) ((written - size + i) % ring.length)];
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
