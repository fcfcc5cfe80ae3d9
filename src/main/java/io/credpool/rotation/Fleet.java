package io.credpool.rotation;

import java.util.List;
import java.util.Optional;

/**
 * The rotation's view of the orchestrator it runs beside: warm pools, who holds a version, the
 * sessions to re-key or close, and verification tasks. A port, so the decider's world can come
 * from a real orchestrator or a test double.
 */
public interface Fleet {

    /** The pools that bake {@code credential} in, seen together, against the staged {@code pending} version. */
    World.PoolsView pools(String credential, Optional<String> pending);

    /** Has every pool that bakes {@code credential} build members with {@code version} beside the current ones. */
    void stage(String credential, String version);

    /** Stops building pending members of {@code credential} (after promotion, or on rollback). */
    void unstage(String credential);

    World.Holders holders(String credential, String version);

    /** False when holders in other processes cannot be seen (see {@link World#holdersVisible()}). */
    boolean seesEveryHolder();

    int rekeySessions(String credential, String version);

    int closeSessions(String credential, String version);

    /**
     * Runs {@code command} as a task of {@code taskType} with {@code version} of {@code credential}
     * injected; returns its exit code (124 for a timeout).
     */
    int verify(String taskType, List<String> command, String credential, String version);
}
