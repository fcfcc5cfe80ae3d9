package io.credpool.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A loaded, validated credpool.yaml: task types by name, and settings of credentials by name. */
public record CredpoolConfig(Path source, Map<String, TaskType> taskTypes, Map<String, CredentialSettings> credentials) {
    public CredpoolConfig {
        taskTypes = java.util.Collections.unmodifiableMap(new TreeMap<>(taskTypes));
        credentials = java.util.Collections.unmodifiableMap(new TreeMap<>(credentials));
    }

    public CredpoolConfig(Path source, Map<String, TaskType> taskTypes) {
        this(source, taskTypes, Map.of());
    }

    public Optional<TaskType> taskType(String name) {
        return Optional.ofNullable(taskTypes.get(name));
    }

    public Optional<CredentialSettings> credential(String name) {
        return Optional.ofNullable(credentials.get(name));
    }
}
