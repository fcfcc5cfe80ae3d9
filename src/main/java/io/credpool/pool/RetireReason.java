package io.credpool.pool;

import java.util.Locale;

/** Why a member was destroyed without running a task: a metric tag and a log word, never a value. */
public enum RetireReason {
    /** A pool-scope credential has a new current version. */
    STALE_CREDENTIAL,
    /** Reached its (jittered) max age. */
    EXPIRED,
    /** Its sandbox stopped answering while it waited. */
    DIED,
    /** `credpool pool refresh` asked for every member to be rebuilt. */
    REFRESH,
    /** The pool is shutting down. */
    CLOSED;

    public String lower() {
        return name().toLowerCase(Locale.ROOT);
    }
}
