package io.credpool.rotation;

import java.time.Instant;
import java.util.Optional;

/**
 * What the runner observed just before asking the decider: the store's labels, the pools, who
 * holds the old version, and the time. Observed, not remembered, so that a resumed rotation acts
 * on the world as it is after a crash.
 *
 * @param currentVersion the version labelled current in the secrets provider
 * @param pools the warm pools that bake this credential in (pool scope), as one view
 * @param holdersOfOld running tasks, open sessions and ready pool members that hold the old version
 * @param holdersVisible false when the runner cannot see every holder (a CLI rotation with no server
 *     running: other processes' tasks are invisible), so the drain waits out the whole grace period
 */
public record World(Optional<String> currentVersion, PoolsView pools, Holders holdersOfOld, Instant now, boolean holdersVisible) {

    public World(Optional<String> currentVersion, PoolsView pools, Holders holdersOfOld, Instant now) {
        this(currentVersion, pools, holdersOfOld, now, true);
    }

    /**
     * @param any some pool bakes the credential in
     * @param staged every such pool builds members with the new version next to the old ones
     * @param fresh every such pool has a full set of ready members with the new version
     */
    public record PoolsView(boolean any, boolean staged, boolean fresh) {
        public static final PoolsView NONE = new PoolsView(false, false, false);
    }

    /** How many of each kind hold a version; {@code tasks} counts tasks still fetching (version not yet known) too. */
    public record Holders(int tasks, int sessions, int members) {
        public static final Holders NONE = new Holders(0, 0, 0);

        public int total() {
            return tasks + sessions + members;
        }

        @Override
        public String toString() {
            return tasks + " task" + (tasks == 1 ? "" : "s") + ", " + sessions + " session" + (sessions == 1 ? "" : "s") + ", "
                    + members + " pool member" + (members == 1 ? "" : "s");
        }
    }
}
