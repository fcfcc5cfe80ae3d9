package io.credpool.sandbox.microvm;

import java.io.IOException;
import java.io.OutputStream;

/** A guest memory snapshot held by the orchestrator: it holds baked values, so it never rests in plaintext on disk. */
sealed interface Snapshot permits EncryptedSnapshot, MemorySnapshot {
    /** Writes the migration stream, as QEMU produced it, to {@code out}. */
    void readTo(OutputStream out) throws IOException;

    /** Size in bytes as stored. */
    long size();

    /** Destroys it: the key or the bytes are gone. Idempotent. */
    void delete();
}
