package io.credpool.config;

import java.util.Locale;

/** When a credential's value is fetched and how long the sandbox holds it. */
public enum Scope {
    /** Fetched for one task, injected when the task starts. */
    TASK,
    /** Fetched once when a session opens; reused by that session's tasks only. */
    SESSION,
    /** Baked into the sandbox when it is created, before any task leases it. */
    POOL;

    public String lower() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Scope parse(String s) {
        for (Scope scope : values()) {
            if (scope.lower().equals(s)) {
                return scope;
            }
        }
        throw new IllegalArgumentException("unknown scope '" + s + "'; expected one of task, session, pool");
    }
}
