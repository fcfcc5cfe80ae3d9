package io.credpool.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How workspaces are scanned for secrets before a task starts (the {@code scan:} section).
 *
 * @param enabled when false no workspace is scanned; meant for a host whose workspaces are
 *     scanned elsewhere, never the default
 * @param maxFileBytes files larger than this are not read; they are reported as skipped
 * @param maxWorkspaceBytes a workspace with more bytes than this is refused: what was not read
 *     cannot be said to be clean
 * @param retiredVersionsWithin versions replaced within this time are still searched for: a
 *     value revoked last week is still worth knowing about in a repository
 * @param minEntropy Shannon entropy (bits per character) a generic {@code key = "..."} value
 *     needs to count as a secret
 * @param allowlist the operator's allowlist file; it may suppress any finding, while a
 *     workspace's own {@code .credpool-allow} may suppress only secret-shaped ones
 */
public record ScanSettings(boolean enabled, long maxFileBytes, long maxWorkspaceBytes,
        Duration retiredVersionsWithin, double minEntropy, Optional<Path> allowlist) {

    public static final long DEFAULT_MAX_FILE_BYTES = 8L << 20;
    public static final long DEFAULT_MAX_WORKSPACE_BYTES = 2L << 30;
    public static final Duration DEFAULT_RETIRED_WITHIN = Duration.ofDays(90);
    public static final double DEFAULT_MIN_ENTROPY = 3.5;

    public ScanSettings {
        Objects.requireNonNull(retiredVersionsWithin, "retiredVersionsWithin");
        Objects.requireNonNull(allowlist, "allowlist");
        if (maxFileBytes <= 0 || maxWorkspaceBytes <= 0) {
            throw new IllegalArgumentException("scan size limits must be positive");
        }
    }

    public static ScanSettings defaults() {
        return new ScanSettings(true, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_WORKSPACE_BYTES,
                DEFAULT_RETIRED_WITHIN, DEFAULT_MIN_ENTROPY, Optional.empty());
    }

    public ScanSettings withAllowlist(Path file) {
        return new ScanSettings(enabled, maxFileBytes, maxWorkspaceBytes, retiredVersionsWithin,
                minEntropy, Optional.of(file));
    }
}
