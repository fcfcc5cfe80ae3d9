package io.credpool.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A loaded, validated credpool.yaml: task types by name, and how workspaces are scanned. */
public record CredpoolConfig(Path source, Map<String, TaskType> taskTypes, ScanSettings scan) {
    public CredpoolConfig {
        taskTypes = java.util.Collections.unmodifiableMap(new TreeMap<>(taskTypes));
        java.util.Objects.requireNonNull(scan, "scan");
    }

    /** A config with the default scan settings. */
    public CredpoolConfig(Path source, Map<String, TaskType> taskTypes) {
        this(source, taskTypes, ScanSettings.defaults());
    }

    public Optional<TaskType> taskType(String name) {
        return Optional.ofNullable(taskTypes.get(name));
    }
}
