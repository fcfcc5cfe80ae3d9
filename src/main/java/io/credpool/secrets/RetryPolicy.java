package io.credpool.secrets;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * How patiently a remote secrets manager is retried on throttling, server errors and broken
 * connections: exponential backoff with jitter, then a clear refusal.
 *
 * @param maxAttempts attempts in all, the first one included; 1 means no retry
 * @param baseDelay the delay cap before the first retry; it doubles with each further retry
 * @param maxDelay no delay is longer than this
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(4, Duration.ofMillis(200), Duration.ofSeconds(5));

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, not " + maxAttempts);
        }
        if (baseDelay.isNegative() || maxDelay.compareTo(baseDelay) < 0) {
            throw new IllegalArgumentException("need 0 <= baseDelay <= maxDelay");
        }
    }

    /**
     * The pause before retry number {@code retry} (1 for the first retry). "Equal jitter": half
     * the exponential cap plus a random part of the other half, so that many task starts that
     * failed together do not come back together, yet no retry is immediate.
     */
    public Duration delayBefore(int retry, RandomGenerator random) {
        long cap = baseDelay.toMillis() << Math.min(retry - 1, 20);
        cap = Math.min(Math.max(cap, 0), maxDelay.toMillis());
        long half = cap / 2;
        return Duration.ofMillis(half + (cap - half == 0 ? 0 : random.nextLong(cap - half + 1)));
    }
}
