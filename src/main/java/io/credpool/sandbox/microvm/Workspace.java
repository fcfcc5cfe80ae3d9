package io.credpool.sandbox.microvm;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** Packs a host workspace directory as cpio for the guest, refusing more than a bound. */
final class Workspace {
    private Workspace() {
    }

    static void write(Path root, OutputStream out, long maxBytes) throws IOException {
        Cpio cpio = new Cpio(out);
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(root)) {
                    cpio.directory(relative(dir), mode(dir) | 0700);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isSymbolicLink()) {
                    cpio.symlink(relative(file), Files.readSymbolicLink(file).toString());
                } else if (attrs.isRegularFile()) {
                    if (cpio.size() + attrs.size() > maxBytes) {
                        throw new IOException("the workspace " + root + " is larger than the limit of " + maxBytes
                                + " bytes for a microVM (it travels over the serial line)");
                    }
                    cpio.file(relative(file), mode(file) | 0600, Files.readAllBytes(file));
                }
                // sockets, fifos and devices mean nothing in the guest
                return FileVisitResult.CONTINUE;
            }

            private String relative(Path p) {
                return root.relativize(p).toString();
            }
        });
        cpio.finish();
    }

    private static int mode(Path p) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
        int mode = 0;
        for (PosixFilePermission perm : perms) {
            mode |= 1 << (8 - perm.ordinal());
        }
        return mode;
    }
}
