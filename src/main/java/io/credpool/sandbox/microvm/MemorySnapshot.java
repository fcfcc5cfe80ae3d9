package io.credpool.sandbox.microvm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A snapshot that never leaves the orchestrator's heap: no encryption to pay on every restore,
 * at the price of guest memory (with its baked values) living in the JVM until deleted.
 */
final class MemorySnapshot implements Snapshot {
    private static final int CHUNK = 1 << 20;
    private final List<byte[]> chunks;
    private final long size;

    private MemorySnapshot(List<byte[]> chunks, long size) {
        this.chunks = chunks;
        this.size = size;
    }

    static MemorySnapshot read(InputStream in) throws IOException {
        List<byte[]> chunks = new ArrayList<>();
        long size = 0;
        for (;;) {
            byte[] chunk = in.readNBytes(CHUNK);
            if (chunk.length == 0) {
                return new MemorySnapshot(chunks, size);
            }
            chunks.add(chunk);
            size += chunk.length;
        }
    }

    @Override
    public synchronized void readTo(OutputStream out) throws IOException {
        if (chunks.isEmpty() && size > 0) {
            throw new IOException("the snapshot was deleted");
        }
        for (byte[] chunk : chunks) {
            out.write(chunk);
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public synchronized void delete() {
        chunks.forEach(c -> Arrays.fill(c, (byte) 0));
        chunks.clear();
    }
}
