package io.credpool.pool;

/**
 * The life of a warm pool member, changed only by compare-and-set so that exactly one thread
 * wins each transition (as HikariCP's ConcurrentBag does for connections). The only paths:
 * BUILDING -> READY | DESTROYED; READY -> LEASED | STALE; LEASED -> DESTROYED | STALE;
 * STALE -> DESTROYED. A member never goes back to READY: it runs one task at most.
 */
public enum MemberState {
    /** Its sandbox is being started with the pool-scope values of the moment. */
    BUILDING,
    /** Started and waiting; may be leased if its fingerprints still match the current versions. */
    READY,
    /** Taken by one task; destroyed when the task ends. */
    LEASED,
    /** Must never run a task: an old credential version, too old, dead, or a refresh. Being destroyed. */
    STALE,
    /** Gone: its processes killed, its values wiped. */
    DESTROYED;

    public boolean isTerminal() {
        return this == DESTROYED;
    }
}
