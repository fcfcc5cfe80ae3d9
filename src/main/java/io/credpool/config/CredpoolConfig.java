package io.credpool.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A loaded, validated credpool.yaml: task types by name. */
public record CredpoolConfig(Path source, Map<String, TaskType> taskTypes) {
    public CredpoolConfig {
        taskTypes = java.util.Collections.unmodifiableMap(new TreeMap<>(taskTypes));
    }

    public Optional<TaskType> taskType(String name) {
        return Optional.ofNullable(taskTypes.get(name));
    }
}
