package io.credpool.config;

import java.util.Locale;
import java.util.Set;

/** The kinds of secrets manager credpool talks to, and the settings each one accepts. */
public enum ProviderKind {
    EMBEDDED(Set.of(), Set.of()),
    VAULT(Set.of("address", "namespace", "mount", "path_prefix", "field", "auth", "token_env", "token_file", "approle_mount",
            "role_id", "role_id_env", "secret_id_env", "secret_id_file"), Set.of("address")),
    AWS(Set.of("region", "endpoint", "name_prefix"), Set.of("region")),
    GITHUB(Set.of("api_url", "owner", "repo", "environment", "org", "visibility", "token_env", "token_file", "env"), Set.of());

    /** Keys every kind accepts. */
    public static final Set<String> COMMON = Set.of("kind", "cache_ttl", "retries", "retry_base_delay", "timeout");

    private final Set<String> keys;
    private final Set<String> required;

    ProviderKind(Set<String> keys, Set<String> required) {
        this.keys = keys;
        this.required = required;
    }

    public Set<String> keys() {
        return keys;
    }

    public Set<String> required() {
        return required;
    }

    public String lower() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ProviderKind parse(String s) {
        for (ProviderKind k : values()) {
            if (k.lower().equals(s)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown provider kind '" + s + "'; expected one of embedded, vault, aws, github");
    }
}
