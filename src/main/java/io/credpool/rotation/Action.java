package io.credpool.rotation;

import java.util.List;

/** What the decider says to do next; the runner executes exactly this, journaled before and after. */
public sealed interface Action {

    /** Step 1: make the new credential valid in the issuer (idempotent per rotation id). */
    record CreateInIssuer() implements Action {
    }

    /** Step 2: store the issued value as a new version labelled pending (adopting one already stored). */
    record StorePending() implements Action {
    }

    /** Step 3a: have every pool that bakes the credential build members with the pending version too. */
    record RefreshPools() implements Action {
    }

    /** Step 3b: wait until every such pool has a full set of members with the pending version. */
    record AwaitPoolsFresh() implements Action {
    }

    /** Step 4: the issuer's own check and the configured verification task, with the new version injected. */
    record RunVerification() implements Action {
    }

    /** Step 5a: pending becomes current (compare-and-set against the old version). */
    record Promote() implements Action {
    }

    /** Step 5b: wait for the holders of the old version to go. */
    record AwaitDrain(World.Holders holders) implements Action {
    }

    /** Step 5c: the grace period is over: re-key or close the sessions that still hold the old version. */
    record ForceDrain(Policy.GraceExpiry mode) implements Action {
    }

    /** Step 6a: make the old version stop working in the issuer. */
    record RevokeOld() implements Action {
    }

    /** Step 6b: check the audit log for receipts of the old version after the drain, and record the result. */
    record ConfirmNoUseAfterCutover() implements Action {
    }

    /** Before promotion only: undo what was done, in this order. */
    record RollBack(List<Undo> steps, String reason) implements Action {
        public RollBack {
            steps = List.copyOf(steps);
        }
    }

    /** The rotation is over with this outcome. */
    record Done(RotationStatus outcome) implements Action {
    }

    /** The rotation cannot go on by itself (a step is stuck); it pauses with this reason for a person. */
    record Fail(String reason) implements Action {
    }

    /** One undo of a rollback. */
    enum Undo {
        REVOKE_NEW(Step.ROLLBACK_REVOKE_NEW), MARK_FAILED(Step.ROLLBACK_MARK_FAILED), RESTORE_POOLS(Step.ROLLBACK_POOLS);

        private final Step step;

        Undo(Step step) {
            this.step = step;
        }

        public Step step() {
            return step;
        }
    }
}
