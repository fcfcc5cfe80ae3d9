package io.credpool.sandbox.microvm;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A built microVM guest: the kernel and the initramfs (busybox + the credpool agent as /init),
 * in one directory named for the hash of what went in.
 */
public record GuestImage(Path dir) {
    static final String KERNEL = "vmlinuz";
    static final String INITRAMFS = "initramfs.cpio.gz";

    public Path kernel() {
        return dir.resolve(KERNEL);
    }

    public Path initramfs() {
        return dir.resolve(INITRAMFS);
    }

    /** The directory name: "guest-" and a content hash. */
    public String id() {
        return dir.getFileName().toString();
    }

    boolean isComplete() {
        return Files.isRegularFile(kernel()) && Files.isRegularFile(initramfs());
    }
}
