package io.credpool.scan;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What one workspace scan found: findings (never values), files not read and why, and which of
 * the asked-for environment variable names the workspace references.
 *
 * @param references environment variable name to the first place that references it
 * @param allowlisted findings suppressed by an allowlist
 * @param notes things a person should know about the scan itself (e.g. a value too short to
 *     search for), never values
 */
public record ScanResult(String root, List<Finding> findings, List<SkippedFile> skipped, int allowlisted, long files,
        long bytes, Duration elapsed, Map<String, String> references, List<String> notes) {

    public ScanResult {
        findings = List.copyOf(findings);
        skipped = List.copyOf(skipped);
        references = Map.copyOf(references);
        notes = List.copyOf(notes);
    }

    public boolean clean() {
        return findings.isEmpty();
    }

    /** True when the workspace limit stopped the scan: the rest was not read. */
    public boolean incomplete() {
        return skipped.stream().anyMatch(s -> s.reason() == SkippedFile.Reason.WORKSPACE_LIMIT);
    }

    public long skipped(SkippedFile.Reason reason) {
        return skipped.stream().filter(s -> s.reason() == reason).count();
    }
}
