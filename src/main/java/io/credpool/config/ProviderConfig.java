package io.credpool.config;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One named secrets provider instance from the {@code providers:} section: its kind and its
 * connection settings, checked by {@link ConfigLoader}. Never its own credentials: those are
 * named here (an environment variable or a file) and read when the provider is opened.
 *
 * @param settings the kind's settings by key, as written (already validated)
 * @param env for kind github: credential name to the environment variable the workflow sets
 */
public record ProviderConfig(String name, ProviderKind kind, Map<String, String> settings, Map<String, String> env,
        Duration cacheTtl, int maxAttempts, Duration retryBaseDelay, Duration timeout, Location where) {

    public ProviderConfig {
        settings = java.util.Collections.unmodifiableMap(new TreeMap<>(settings));
        env = java.util.Collections.unmodifiableMap(new TreeMap<>(env));
    }

    /** The built-in provider every credential uses unless the config says otherwise. */
    public static final String EMBEDDED = "embedded";

    public Optional<String> setting(String key) {
        return Optional.ofNullable(settings.get(key));
    }

    public String setting(String key, String fallback) {
        return settings.getOrDefault(key, fallback);
    }
}
