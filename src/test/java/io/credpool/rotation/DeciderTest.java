package io.credpool.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import io.credpool.rotation.Action.Undo;
import io.credpool.rotation.World.Holders;
import io.credpool.rotation.World.PoolsView;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The decider as a table: journal so far + observed world -> the one next action. */
class DeciderTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Policy POLICY = new Policy(true, Duration.ofMinutes(5), Policy.GraceExpiry.REKEY, Duration.ofMinutes(15));
    private static final PoolsView NO_POOLS = PoolsView.NONE;
    private static final PoolsView UNSTAGED = new PoolsView(true, false, false);
    private static final PoolsView BUILDING = new PoolsView(true, true, false);
    private static final PoolsView FRESH = new PoolsView(true, true, true);

    /** A journal written in shorthand: "create+" done, "create>" started only, "verify!" failed, "create?" unavailable. */
    private static Rotation rotation(String journal, String newVersion, boolean abort, RotationStatus status) {
        List<JournalEntry> entries = new ArrayList<>();
        int seq = 0;
        for (String s : journal.isBlank() ? new String[0] : journal.trim().split("\\s+")) {
            char mark = s.charAt(s.length() - 1);
            Step step = Step.valueOf(s.substring(0, s.length() - 1).toUpperCase(java.util.Locale.ROOT));
            entries.add(new JournalEntry(++seq, step, Phase.STARTED, T0, null));
            switch (mark) {
                case '+' -> entries.add(new JournalEntry(++seq, step, Phase.DONE, T0, null));
                case '!' -> entries.add(new JournalEntry(++seq, step, Phase.FAILED, T0, null));
                case '?' -> entries.add(new JournalEntry(++seq, step, Phase.UNAVAILABLE, T0, null));
                case '>' -> {
                }
                default -> throw new IllegalArgumentException(s);
            }
        }
        boolean promoted = journal.contains("promote+");
        return new Rotation("r-1", "db", status, "fake", Optional.of("v1"), Optional.ofNullable(newVersion), newVersion != null, abort,
                promoted ? Optional.of(T0) : Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), T0, T0, entries);
    }

    private static Arguments row(String name, String journal, String newVersion, String current, PoolsView pools, Holders holders,
            Duration elapsed, Action expected) {
        return Arguments.of(name, rotation(journal, newVersion, false, RotationStatus.RUNNING),
                new World(Optional.ofNullable(current), pools, holders, T0.plus(elapsed)), expected);
    }

    private static Arguments abort(String name, String journal, String newVersion, Action expected) {
        return Arguments.of(name, rotation(journal, newVersion, true, RotationStatus.RUNNING),
                new World(Optional.of("v1"), BUILDING, Holders.NONE, T0), expected);
    }

    static Stream<Arguments> table() {
        Holders none = Holders.NONE;
        Holders oneTask = new Holders(1, 0, 0);
        Holders oneSession = new Holders(0, 1, 0);
        Holders oneMember = new Holders(0, 0, 1);
        Duration now = Duration.ZERO;
        Duration afterGrace = Duration.ofMinutes(6);
        Duration afterTimeout = Duration.ofMinutes(16);
        String toPromote = "create+ store_pending+ refresh_pools+ await_pools+ verify+";
        String promoted = toPromote + " promote+";
        return Stream.of(
                // The forward path, one row per step.
                row("a new rotation creates in the issuer first", "", null, "v1", FRESH, none, now, new Action.CreateInIssuer()),
                row("after create, the value is stored as pending", "create+", null, "v1", NO_POOLS, none, now, new Action.StorePending()),
                row("after storing, pools that bake it are staged", "create+ store_pending+", "v2", "v1", UNSTAGED, none, now,
                        new Action.RefreshPools()),
                row("staged pools are waited for", "create+ store_pending+ refresh_pools+", "v2", "v1", BUILDING, none, now,
                        new Action.AwaitPoolsFresh()),
                row("fresh pools lead to verification", "create+ store_pending+ refresh_pools+", "v2", "v1", FRESH, none, now,
                        new Action.RunVerification()),
                row("without pools, verification follows storing", "create+ store_pending+", "v2", "v1", NO_POOLS, none, now,
                        new Action.RunVerification()),
                row("a verified version is promoted", toPromote, "v2", "v1", FRESH, none, now, new Action.Promote()),
                row("after promotion with no holders, the old one is revoked", promoted, "v2", "v2", FRESH, none, now,
                        new Action.RevokeOld()),
                row("a running task on the old version is waited for", promoted, "v2", "v2", FRESH, oneTask, now,
                        new Action.AwaitDrain(oneTask)),
                row("a session on the old version is waited for within the grace", promoted, "v2", "v2", FRESH, oneSession, now,
                        new Action.AwaitDrain(oneSession)),
                row("a pool member on the old version is waited for", promoted, "v2", "v2", FRESH, oneMember, now,
                        new Action.AwaitDrain(oneMember)),
                row("after the grace, sessions on the old version are re-keyed", promoted + " drain>", "v2", "v2", FRESH, oneSession,
                        afterGrace, new Action.ForceDrain(Policy.GraceExpiry.REKEY)),
                row("after the grace, running tasks are still waited for, never killed", promoted + " drain>", "v2", "v2", FRESH,
                        oneTask, afterGrace, new Action.AwaitDrain(oneTask)),
                row("after revoking, the audit log is checked", promoted + " revoke_old+", "v2", "v2", FRESH, none, now,
                        new Action.ConfirmNoUseAfterCutover()),
                row("after the confirmation the rotation is done", promoted + " revoke_old+ confirm+", "v2", "v2", FRESH, none, now,
                        new Action.Done(RotationStatus.DONE)),
                // Crash-resume rows: a STARTED step with no result is asked for again.
                row("crash during create: create again (idempotent per rotation id)", "create>", null, "v1", FRESH, none, now,
                        new Action.CreateInIssuer()),
                row("crash during store: store again (adopts the stored version)", "create+ store_pending>", null, "v1", FRESH, none,
                        now, new Action.StorePending()),
                row("crash after staging: pools lost it with the process, stage again", "create+ store_pending+ refresh_pools+",
                        "v2", "v1", UNSTAGED, none, now, new Action.RefreshPools()),
                row("crash during verification: verify again", "create+ store_pending+ verify>", "v2", "v1", NO_POOLS, none, now,
                        new Action.RunVerification()),
                row("crash during promote that did not commit: promote again", toPromote + " promote>", "v2", "v1", FRESH, none, now,
                        new Action.Promote()),
                row("crash during promote that committed: the world says current == new, drain", toPromote + " promote>", "v2", "v2",
                        FRESH, oneTask, now, new Action.AwaitDrain(oneTask)),
                row("crash during revoke: revoke again even if something appeared", promoted + " revoke_old>", "v2", "v2", FRESH,
                        oneTask, now, new Action.RevokeOld()),
                row("crash during confirm: confirm again", promoted + " revoke_old+ confirm>", "v2", "v2", FRESH, none, now,
                        new Action.ConfirmNoUseAfterCutover()),
                row("issuer unavailable at create: try create again", "create?", null, "v1", FRESH, none, now,
                        new Action.CreateInIssuer()),
                row("issuer unavailable at revoke: try revoke again", promoted + " revoke_old?", "v2", "v2", FRESH, none, now,
                        new Action.RevokeOld()),
                // Failure rows.
                row("verification failed: roll back everything done", "create+ store_pending+ refresh_pools+ verify!", "v2", "v1",
                        FRESH, none, now, new Action.RollBack(List.of(Undo.REVOKE_NEW, Undo.MARK_FAILED, Undo.RESTORE_POOLS),
                                "verification of the new version failed")),
                row("verification failed without pools: no pool undo", "create+ store_pending+ verify!", "v2", "v1", NO_POOLS, none,
                        now, new Action.RollBack(List.of(Undo.REVOKE_NEW, Undo.MARK_FAILED), "verification of the new version failed")),
                row("issuer rejected create: revoke whatever it may have made", "create!", null, "v1", FRESH, none, now,
                        new Action.RollBack(List.of(Undo.REVOKE_NEW), "the issuer refused to create the new credential")),
                row("rollback resumes where it stopped", "create+ store_pending+ verify! rollback_revoke_new+", "v2", "v1", NO_POOLS,
                        none, now, new Action.RollBack(List.of(Undo.MARK_FAILED), "verification of the new version failed")),
                row("rollback finished: rolled back", "create+ store_pending+ verify! rollback_revoke_new+ rollback_mark_failed+",
                        "v2", "v1", NO_POOLS, none, now, new Action.Done(RotationStatus.ROLLED_BACK)),
                row("someone else changed current: roll back", toPromote + " promote!", "v2", "v3", FRESH, none, now,
                        new Action.RollBack(List.of(Undo.REVOKE_NEW, Undo.MARK_FAILED, Undo.RESTORE_POOLS),
                                "the current version changed during the rotation (someone else wrote it)")),
                // Stuck rows.
                row("pools not fresh past the step timeout: reported stuck", "create+ store_pending+ refresh_pools+ await_pools>",
                        "v2", "v1", BUILDING, none, afterTimeout, new Action.Fail("rotation r-1 of 'db' is stuck at step await_pools"
                                + " for 15m: the warm pools holding 'db' have not all been rebuilt with the new version; resume it"
                                + " with `credpool rotate db --resume` or roll it back with `credpool rotate db --abort`")),
                row("a task holding the old version past the timeout: reported stuck, no abort offered", promoted + " drain>", "v2",
                        "v2", FRESH, oneTask, afterTimeout, new Action.Fail("rotation r-1 of 'db' is stuck at step drain for 15m:"
                                + " the old version v1 of 'db' is still held by 1 task, 0 sessions, 0 pool members; resume it with"
                                + " `credpool rotate db --resume`")),
                // Abort rows.
                abort("abort before anything: done, nothing to undo", "", null, new Action.Done(RotationStatus.ROLLED_BACK)),
                abort("abort after create: revoke the new one", "create+", null,
                        new Action.RollBack(List.of(Undo.REVOKE_NEW), "aborted by the operator")),
                abort("abort during pool refresh: revoke, mark failed, restore pools", "create+ store_pending+ refresh_pools+", "v2",
                        new Action.RollBack(List.of(Undo.REVOKE_NEW, Undo.MARK_FAILED, Undo.RESTORE_POOLS), "aborted by the operator")),
                Arguments.of("an abort flag after promotion is ignored: the drain goes on",
                        rotation(promoted, "v2", true, RotationStatus.RUNNING),
                        new World(Optional.of("v2"), FRESH, oneTask, T0), new Action.AwaitDrain(oneTask)),
                Arguments.of("a finished rotation stays finished", rotation(promoted, "v2", false, RotationStatus.DONE),
                        new World(Optional.of("v2"), FRESH, none, T0), new Action.Done(RotationStatus.DONE)),
                Arguments.of("a paused rotation resumes where it was", rotation("create+ store_pending?", null, false,
                        RotationStatus.PAUSED), new World(Optional.of("v1"), NO_POOLS, none, T0), new Action.StorePending()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decidesTheNextAction(String name, Rotation rotation, World world, Action expected) {
        assertThat(Decider.next(rotation, world, POLICY)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "close mode: {0}")
    @MethodSource("table")
    void theGraceExpiryModeOnlyChangesForceDrain(String name, Rotation rotation, World world, Action expected) {
        Policy close = new Policy(true, POLICY.grace(), Policy.GraceExpiry.CLOSE, POLICY.stepTimeout());
        Action expect = expected instanceof Action.ForceDrain ? new Action.ForceDrain(Policy.GraceExpiry.CLOSE) : expected;
        assertThat(Decider.next(rotation, world, close)).isEqualTo(expect);
    }
}
