package io.credpool.config;

import java.time.Duration;

/**
 * A task type's warm pool: how many started sandboxes to keep ready and how long one may wait.
 *
 * @param size members kept ready (at least 1)
 * @param maxAge the longest a member waits before it is replaced; each member's own limit is
 *     jittered below this so that a pool built at once does not expire at once
 * @param where where the pool was written, for errors
 */
public record PoolSettings(int size, Duration maxAge, Location where) {
    /** The largest pool one task type may ask for: each member is a running process tree. */
    public static final int MAX_SIZE = 64;
    public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(10);
}
