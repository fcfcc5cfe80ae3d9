package io.credpool.sandbox.process;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Looks for bytes where secrets must never be: every command line, files on the host. */
public final class HostScan {
    private HostScan() {
    }

    /** Pids of processes whose /proc/PID/cmdline contains {@code needle}. */
    public static List<Long> processesWithCmdlineContaining(byte[] needle) throws IOException {
        List<Long> found = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path proc : procs) {
                byte[] cmdline;
                try {
                    cmdline = Files.readAllBytes(proc.resolve("cmdline"));
                } catch (IOException e) {
                    continue; // exited while we looked
                }
                if (indexOf(cmdline, needle) >= 0) {
                    found.add(Long.parseLong(proc.getFileName().toString()));
                }
            }
        }
        return found;
    }

    /** Waits for processes with {@code needle} on their command line to be gone; returns the rest. */
    public static List<Long> awaitNoProcessWith(byte[] needle) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<Long> left = processesWithCmdlineContaining(needle);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            left = processesWithCmdlineContaining(needle);
        }
        return left;
    }

    /** Regular files under {@code root} whose content contains {@code needle}. */
    public static List<Path> filesContaining(Path root, byte[] needle) throws IOException {
        if (!Files.exists(root)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                if (indexOf(Files.readAllBytes(file), needle) >= 0) {
                    found.add(file);
                }
            }
        }
        return found;
    }

    public static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
