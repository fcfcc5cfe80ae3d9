package io.credpool.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A loaded, validated credpool.yaml: task types, settings of credentials by name, and how workspaces are scanned. */
public record CredpoolConfig(Path source, Map<String, TaskType> taskTypes, Map<String, CredentialSettings> credentials,
        ScanSettings scan) {
    public CredpoolConfig {
        taskTypes = java.util.Collections.unmodifiableMap(new TreeMap<>(taskTypes));
        credentials = java.util.Collections.unmodifiableMap(new TreeMap<>(credentials));
        java.util.Objects.requireNonNull(scan, "scan");
    }

    /** A config with no credential settings and the default scan settings. */
    public CredpoolConfig(Path source, Map<String, TaskType> taskTypes) {
        this(source, taskTypes, Map.of(), ScanSettings.defaults());
    }

    public Optional<TaskType> taskType(String name) {
        return Optional.ofNullable(taskTypes.get(name));
    }

    public Optional<CredentialSettings> credential(String name) {
        return Optional.ofNullable(credentials.get(name));
    }
}
