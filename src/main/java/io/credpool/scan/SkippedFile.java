package io.credpool.scan;

/** A file the scan did not read, and why: reported so nothing is skipped silently. */
public record SkippedFile(String path, Reason reason, long size) {
    /** Why a file was not read. */
    public enum Reason {
        /** A NUL byte in its first 8 KiB: compiled code, images, archives. */
        BINARY,
        /** Larger than the per-file limit. */
        TOO_LARGE,
        /** The workspace limit was reached before this file. */
        WORKSPACE_LIMIT,
        /** The file could not be read (permissions, vanished while scanning). */
        UNREADABLE;

        public String lower() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }
}
