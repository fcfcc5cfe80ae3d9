package io.credpool.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** The kinds of external service a credential can be issued by, and the settings each one accepts. */
public enum IssuerKind {
    REDIS_ACL("redis-acl", Set.of("address", "user", "admin_user", "admin_password_env", "admin_password_file"),
            Set.of("address", "user")),
    POSTGRES_ROLE("postgres-role", Set.of("address", "database", "role", "admin_user", "admin_password_env", "admin_password_file"),
            Set.of("address", "database", "role", "admin_user")),
    HTTP_API_KEY("http-api-key", Set.of("url", "admin_token_env", "admin_token_file"), Set.of("url")),
    MANUAL("manual", Set.of(), Set.of());

    /** Keys every kind accepts. */
    public static final Set<String> COMMON = Set.of("kind", "timeout");

    private final String id;
    private final Set<String> keys;
    private final Set<String> required;

    IssuerKind(String id, Set<String> keys, Set<String> required) {
        this.id = id;
        this.keys = keys;
        this.required = required;
    }

    /** The name written in credpool.yaml, e.g. redis-acl. */
    public String id() {
        return id;
    }

    public Set<String> keys() {
        return keys;
    }

    public Set<String> required() {
        return required;
    }

    public static IssuerKind parse(String s) {
        for (IssuerKind k : values()) {
            if (k.id.equals(s)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown issuer kind '" + s + "'; expected one of "
                + Arrays.stream(values()).map(IssuerKind::id).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() {
        return id.toLowerCase(Locale.ROOT);
    }
}
