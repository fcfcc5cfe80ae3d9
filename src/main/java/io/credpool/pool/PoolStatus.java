package io.credpool.pool;

import java.util.Map;
import java.util.Optional;

/**
 * A pool at one moment, for `credpool pool status`, the API and metrics: counts and version ids,
 * never values.
 *
 * @param fresh ready members whose every fingerprint matches the current version
 * @param stale ready members holding an old version, plus members being destroyed
 * @param leases warm leases since start; {@code coldStarts}: tasks of this type that found no fresh member
 * @param baked per credential, version id -> how many ready members hold it
 * @param current per credential, its current version id ("" when it has none)
 * @param pending per credential, the pending version a rotation has this pool build members with
 * @param pendingReady ready members with the pending versions: not leased, and neither fresh nor stale, until promotion
 * @param consecutiveFailures failed builds in a row; with {@code lastError} and {@code nextAttemptInMs} while backing off
 */
public record PoolStatus(String type, String backend, int size, long maxAgeMs, int fresh, int stale, int building, int leased,
        long leases, long coldStarts, long staleDiscards, long expired, long died, long buildFailures,
        int consecutiveFailures, Optional<String> lastError, long nextAttemptInMs, long generation,
        Map<String, Map<String, Integer>> baked, Map<String, String> current, Map<String, String> pending, int pendingReady) {

    /** Every slot holds a fresh member and nothing is being rebuilt. */
    public boolean fullyFresh() {
        return fresh == size && building == 0;
    }
}
