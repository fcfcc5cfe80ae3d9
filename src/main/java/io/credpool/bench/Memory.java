package io.credpool.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Resident memory read from /proc: of this JVM, and summed over the processes it started (its sandboxes). */
final class Memory {
    private Memory() {
    }

    /**
     * Memory of this JVM's descendants, in bytes. RSS counts a shared page in every process that
     * maps it, so the sum overstates; PSS splits each shared page between its sharers, so PSS sums
     * to what the processes cost together. Both are given because readers know RSS from `ps`.
     */
    record Usage(int processes, long rssBytes, long pssBytes) {
    }

    static long selfRss() throws IOException {
        return kib(Path.of("/proc/self/status"), "VmRSS:");
    }

    static Usage descendants() throws IOException {
        List<ProcessHandle> all = ProcessHandle.current().descendants().toList();
        long rss = 0;
        long pss = 0;
        int counted = 0;
        for (ProcessHandle p : all) {
            try {
                rss += kib(Path.of("/proc", Long.toString(p.pid()), "status"), "VmRSS:");
                pss += kib(Path.of("/proc", Long.toString(p.pid()), "smaps_rollup"), "Pss:");
                counted++;
            } catch (NoSuchFileException e) {
                // Exited between listing and reading: it holds no memory any more.
            }
        }
        if (counted == 0) {
            throw new IllegalStateException("this JVM has no child processes: no sandbox is running");
        }
        return new Usage(counted, rss, pss);
    }

    /** The value of a "Name:   1234 kB" line, in bytes; 0 for a process without one (a zombie has no VmRSS). */
    private static long kib(Path file, String key) throws IOException {
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.substring(key.length()).replace("kB", "").trim()) * 1024;
            }
        }
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        return 0;
    }
}
