package io.credpool.sandbox.microvm;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes a cpio archive in the "newc" format: what the Linux kernel unpacks as an initramfs and
 * what busybox cpio unpacks in the guest, so one small writer serves the image and the workspace.
 */
final class Cpio {
    private static final int TYPE_FILE = 0100000;
    private static final int TYPE_DIR = 0040000;
    private static final int TYPE_SYMLINK = 0120000;

    private final OutputStream out;
    private long written;
    private int inode = 1;

    Cpio(OutputStream out) {
        this.out = out;
    }

    /** Bytes written so far, padding included. */
    long size() {
        return written;
    }

    void directory(String path, int mode) throws IOException {
        entry(path, TYPE_DIR | (mode & 07777), new byte[0], 0, 2);
    }

    void file(String path, int mode, byte[] content) throws IOException {
        entry(path, TYPE_FILE | (mode & 07777), content, content.length, 1);
    }

    void symlink(String path, String target) throws IOException {
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        entry(path, TYPE_SYMLINK | 0777, t, t.length, 1);
    }

    /** Ends the archive; the stream stays open. */
    void finish() throws IOException {
        entry("TRAILER!!!", 0, new byte[0], 0, 1);
        out.flush();
    }

    private void entry(String path, int mode, byte[] data, int length, int links) throws IOException {
        byte[] name = path.getBytes(StandardCharsets.UTF_8);
        StringBuilder h = new StringBuilder(110);
        h.append("070701");
        for (long field : new long[] {inode++, mode, 0, 0, links, 0, length, 0, 0, 0, 0, name.length + 1, 0}) {
            h.append(String.format("%08x", field));
        }
        write(h.toString().getBytes(StandardCharsets.US_ASCII), 110);
        write(name, name.length);
        write(new byte[1], 1);
        pad();
        write(data, length);
        pad();
    }

    private void write(byte[] b, int len) throws IOException {
        out.write(b, 0, len);
        written += len;
    }

    private void pad() throws IOException {
        int n = (int) ((4 - written % 4) % 4);
        write(new byte[n], n);
    }
}
