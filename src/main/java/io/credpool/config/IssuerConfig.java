package io.credpool.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Where a credential is issued, from {@code credentials.NAME.issuer}: the kind of service and its
 * settings. Admin credentials are only named here (an environment variable or a file), never
 * written; relative files are resolved against the config file's folder.
 *
 * @param kind the kind of service
 * @param settings the kind's settings, validated, by key (files already resolved to absolute paths)
 * @param timeout how long one call to the service may take
 * @param where where the issuer was written, for errors
 */
public record IssuerConfig(IssuerKind kind, Map<String, String> settings, Duration timeout, Location where) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    public IssuerConfig {
        settings = java.util.Collections.unmodifiableMap(new TreeMap<>(settings));
    }

    public Optional<String> setting(String key) {
        return Optional.ofNullable(settings.get(key));
    }

    /** A setting the loader made sure is present. */
    public String required(String key) {
        String v = settings.get(key);
        if (v == null) {
            throw new IllegalStateException("issuer setting '" + key + "' was not validated at " + where);
        }
        return v;
    }

    public Optional<Path> file(String key) {
        return setting(key).map(Path::of);
    }
}
