package io.credpool.rotation;

/** The journaled effects of a rotation, in the order of the design's checklist, then the rollback ones. */
public enum Step {
    CREATE, STORE_PENDING, REFRESH_POOLS, AWAIT_POOLS, VERIFY, PROMOTE, DRAIN, FORCE_DRAIN, REVOKE_OLD, CONFIRM,
    ROLLBACK_REVOKE_NEW, ROLLBACK_MARK_FAILED, ROLLBACK_POOLS;

    /** 1..6 as in the design's checklist, for progress lines; 0 for rollback steps. */
    public int checklistNumber() {
        return switch (this) {
            case CREATE -> 1;
            case STORE_PENDING -> 2;
            case REFRESH_POOLS, AWAIT_POOLS -> 3;
            case VERIFY -> 4;
            case PROMOTE, DRAIN, FORCE_DRAIN -> 5;
            case REVOKE_OLD, CONFIRM -> 6;
            case ROLLBACK_REVOKE_NEW, ROLLBACK_MARK_FAILED, ROLLBACK_POOLS -> 0;
        };
    }

    public String lower() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
