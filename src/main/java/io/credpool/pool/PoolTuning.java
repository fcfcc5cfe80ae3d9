package io.credpool.pool;

import java.time.Duration;

/**
 * How a pool looks after itself; the defaults suit production, tests shorten them.
 *
 * @param tick how often the maintainer looks for stale, expired or dead members and fills gaps
 * @param versionCacheTtl the longest the maintainer trusts a cached current version id
 * @param backoffBase the wait after the first failed build; doubled per consecutive failure
 * @param backoffMax the longest wait between build attempts of a failing backend
 * @param maxParallelBuilds how many members one pool starts at once
 * @param ageJitter the fraction of max_age by which each member's own limit is shortened at random
 */
public record PoolTuning(Duration tick, Duration versionCacheTtl, Duration backoffBase, Duration backoffMax,
        int maxParallelBuilds, double ageJitter) {

    public static PoolTuning defaults() {
        // Jitter as HikariCP's max lifetime: up to 2.5% shorter, so a pool built at once is not replaced at once.
        return new PoolTuning(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(250), Duration.ofSeconds(60), 2, 0.025);
    }

    public PoolTuning withBackoff(Duration base, Duration max) {
        return new PoolTuning(tick, versionCacheTtl, base, max, maxParallelBuilds, ageJitter);
    }

    public PoolTuning withTick(Duration newTick) {
        return new PoolTuning(newTick, versionCacheTtl, backoffBase, backoffMax, maxParallelBuilds, ageJitter);
    }

    /** The wait after {@code failures} consecutive failed builds. */
    public Duration backoff(int failures) {
        if (failures <= 0) {
            return Duration.ZERO;
        }
        long ms = backoffBase.toMillis() << Math.min(failures - 1, 30);
        return Duration.ofMillis(Math.min(ms < 0 ? Long.MAX_VALUE : ms, backoffMax.toMillis()));
    }
}
