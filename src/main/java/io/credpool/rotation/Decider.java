package io.credpool.rotation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The rotation checklist as a pure function: (journal so far, observed world, policy) -> the one
 * next action. No I/O, no clock of its own; the runner executes what it says and journals it.
 *
 * <p>Why each rule is safe across a crash: a step whose STARTED row has no result row is simply
 * asked for again, since every effect is idempotent (issuer create per rotation id, pending
 * stored by value, promote by compare-and-set, revoke of a revoked credential succeeds). Facts that
 * can change without the journal knowing are read from the world, not the journal: a promotion
 * that committed before the crash shows as "current == new"; pool staging lives in memory and is
 * lost with the process, so "staged" is observed and the step is asked for again.
 *
 * <p>Rollback is only possible before promotion: afterwards tasks may already hold the new version
 * and the old one may be revoked, so going back would itself need a rotation.
 */
public final class Decider {
    private Decider() {
    }

    public static Action next(Rotation r, World w, Policy p) {
        if (r.status().terminal()) {
            return new Action.Done(r.status());
        }
        boolean promoted = r.done(Step.PROMOTE)
                || (r.newVersion().isPresent() && r.newVersion().equals(w.currentVersion()));
        if (!promoted) {
            Optional<String> reason = rollbackReason(r, w);
            if (reason.isPresent()) {
                List<Action.Undo> undo = new ArrayList<>();
                // Only the issuer can tell whether create took effect before a crash, so a started create is undone too.
                if (r.started(Step.CREATE) && !r.done(Step.ROLLBACK_REVOKE_NEW)) {
                    undo.add(Action.Undo.REVOKE_NEW);
                }
                if (r.newVersion().isPresent() && !r.done(Step.ROLLBACK_MARK_FAILED)) {
                    undo.add(Action.Undo.MARK_FAILED);
                }
                if (r.started(Step.REFRESH_POOLS) && !r.done(Step.ROLLBACK_POOLS)) {
                    undo.add(Action.Undo.RESTORE_POOLS);
                }
                return undo.isEmpty() ? new Action.Done(RotationStatus.ROLLED_BACK) : new Action.RollBack(undo, reason.get());
            }
            if (!r.done(Step.CREATE)) {
                return new Action.CreateInIssuer();
            }
            if (!r.done(Step.STORE_PENDING)) {
                return new Action.StorePending();
            }
            if (w.pools().any()) {
                if (!w.pools().staged()) {
                    return new Action.RefreshPools();
                }
                if (!w.pools().fresh()) {
                    Optional<Action> stuck = stuck(r, Step.AWAIT_POOLS, w.now(), p.stepTimeout(),
                            "the warm pools holding '" + r.credential() + "' have not all been rebuilt with the new version");
                    return stuck.orElse(new Action.AwaitPoolsFresh());
                }
            }
            if (!r.done(Step.VERIFY)) {
                return new Action.RunVerification();
            }
            return new Action.Promote();
        }
        if (r.oldVersion().isPresent() && !r.done(Step.REVOKE_OLD)) {
            Instant cutover = r.cutoverAt().orElse(w.now());
            boolean graceOver = !w.now().isBefore(cutover.plus(p.grace()));
            // Once revoke has started it is finished whatever the holders say: it may already have happened.
            if (r.started(Step.REVOKE_OLD) || (w.holdersOfOld().total() == 0 && (w.holdersVisible() || graceOver))) {
                return new Action.RevokeOld();
            }
            if (graceOver && w.holdersOfOld().sessions() > 0) {
                return new Action.ForceDrain(p.onGraceExpiry());
            }
            // Running tasks are never killed: they end by their task type's timeout at the latest.
            if (graceOver) {
                Optional<Action> stuck = stuck(r, Step.DRAIN, w.now(), p.stepTimeout(), "the old version " + r.oldVersion().get()
                        + " of '" + r.credential() + "' is still held by " + w.holdersOfOld());
                if (stuck.isPresent()) {
                    return stuck.get();
                }
            }
            return new Action.AwaitDrain(w.holdersOfOld());
        }
        if (!r.done(Step.CONFIRM)) {
            return new Action.ConfirmNoUseAfterCutover();
        }
        return new Action.Done(RotationStatus.DONE);
    }

    private static Optional<String> rollbackReason(Rotation r, World w) {
        if (r.abortRequested()) {
            return Optional.of("aborted by the operator");
        }
        if (r.failed(Step.CREATE)) {
            return Optional.of("the issuer refused to create the new credential");
        }
        if (r.failed(Step.STORE_PENDING)) {
            return Optional.of("the secrets provider refused the new version");
        }
        if (r.failed(Step.VERIFY)) {
            return Optional.of("verification of the new version failed");
        }
        if (r.failed(Step.PROMOTE)) {
            return Optional.of("the current version changed during the rotation (someone else wrote it)");
        }
        return Optional.empty();
    }

    private static Optional<Action> stuck(Rotation r, Step waiting, Instant now, Duration timeout, String what) {
        Optional<Instant> since = r.lastStarted(waiting);
        if (since.isPresent() && !now.isBefore(since.get().plus(timeout))) {
            return Optional.of(new Action.Fail("rotation " + r.id() + " of '" + r.credential() + "' is stuck at step "
                    + waiting.lower() + " for " + io.credpool.config.Durations.format(timeout) + ": " + what
                    + "; resume it with `credpool rotate " + r.credential() + " --resume`"
                    + (waiting == Step.DRAIN ? "" : " or roll it back with `credpool rotate " + r.credential() + " --abort`")));
        }
        return Optional.empty();
    }
}
