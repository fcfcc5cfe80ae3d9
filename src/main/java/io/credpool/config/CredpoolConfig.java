package io.credpool.config;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A loaded, validated credpool.yaml: task types by name, secrets providers by name, per-credential
 * settings, which provider holds each credential (the embedded store unless said otherwise), and
 * how workspaces are scanned.
 */
public record CredpoolConfig(Path source, Map<String, TaskType> taskTypes, Map<String, ProviderConfig> providers,
        Map<String, CredentialSettings> credentials, Map<String, String> credentialProviders, ScanSettings scan) {
    public CredpoolConfig {
        taskTypes = java.util.Collections.unmodifiableMap(new TreeMap<>(taskTypes));
        providers = java.util.Collections.unmodifiableMap(new TreeMap<>(providers));
        credentials = java.util.Collections.unmodifiableMap(new TreeMap<>(credentials));
        credentialProviders = java.util.Collections.unmodifiableMap(new TreeMap<>(credentialProviders));
        java.util.Objects.requireNonNull(scan, "scan");
    }

    /** A config with only task types: the embedded store and default scan settings. */
    public CredpoolConfig(Path source, Map<String, TaskType> taskTypes) {
        this(source, taskTypes, Map.of(), Map.of(), Map.of(), ScanSettings.defaults());
    }

    public Optional<TaskType> taskType(String name) {
        return Optional.ofNullable(taskTypes.get(name));
    }

    public Optional<CredentialSettings> credential(String name) {
        return Optional.ofNullable(credentials.get(name));
    }

    /** The name of the provider that holds {@code credential}: "embedded" unless the config routes it. */
    public String providerOf(String credential) {
        return credentialProviders.getOrDefault(credential, ProviderConfig.EMBEDDED);
    }
}
