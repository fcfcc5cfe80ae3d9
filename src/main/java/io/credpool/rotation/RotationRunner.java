package io.credpool.rotation;

import io.credpool.audit.AuditEvent;
import io.credpool.audit.AuditEventKind;
import io.credpool.audit.AuditLog;
import io.credpool.audit.AuditRecord;
import io.credpool.config.CredentialSettings;
import io.credpool.config.CredpoolConfig;
import io.credpool.config.Durations;
import io.credpool.issuer.CredentialIssuer;
import io.credpool.issuer.IssuerException;
import io.credpool.secrets.Label;
import io.credpool.secrets.ProviderUnavailableException;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.SecretsProvider;
import io.credpool.secrets.VersionConflictException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs rotations: observe the world, ask the {@link Decider}, execute the one action, journal it,
 * repeat until the rotation is finished, paused (a service is down) or stuck.
 *
 * <p><b>Why a SIGKILL at any boundary loses nothing and orphans nothing.</b>
 * <ul>
 *   <li>Before the issuer is called, the value credpool proposes is in the journal (encrypted under
 *       a key derived from the master key) and CREATE is journaled STARTED. A crash during or right
 *       after create leaves a credential the journal does not hold yet; the resumed runner calls
 *       create again with the same rotation id and proposed value, and the issuer's idempotency
 *       returns the same credential, never a second one. An abort at that point does the same to
 *       learn what to revoke. So an issued credential is always reachable from the journal.
 *   <li>The issued value is journaled (encrypted) before CREATE is marked done, so STORE_PENDING
 *       always has it; storing adopts a pending version with the same value, so a crash between
 *       the put and its result row does not store it twice.
 *   <li>Promotion is a compare-and-set against the old version; the decider reads "current ==
 *       new" from the provider, so a promotion that committed before a crash is not repeated and a
 *       rollback is never attempted after it.
 *   <li>Revocation of the old version happens only once nothing holds it (or the grace and the
 *       drain say so), and revoking twice is harmless; revoking the new one on rollback likewise.
 *   <li>Pool staging lives in the pools' memory, so it is observed, not journaled-and-trusted:
 *       after a restart the pools are re-staged before anything waits on them.
 * </ul>
 * The journaled values are dropped when the rotation finishes.
 */
public final class RotationRunner {
    private static final Logger log = LoggerFactory.getLogger(RotationRunner.class);
    private static final Set<Step> WAITING = EnumSet.of(Step.AWAIT_POOLS, Step.DRAIN);

    private final RotationJournal journal;
    private final SecretsProvider secrets;
    private final Function<String, CredentialIssuer> issuers;
    private final Fleet fleet;
    private final AuditLog audit;
    private final CredpoolConfig config;
    private final Clock clock;
    private final Duration poll;
    private final Duration stepTimeout;
    private final RotationHook hook;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param issuers the issuer of a credential by name; throws {@link RotationException} when it has none
     * @param poll how long to wait between looks while pools build or holders drain
     */
    public RotationRunner(RotationJournal journal, SecretsProvider secrets, Function<String, CredentialIssuer> issuers, Fleet fleet,
            AuditLog audit, CredpoolConfig config, Clock clock, Duration poll, Duration stepTimeout, RotationHook hook) {
        this.journal = journal;
        this.secrets = secrets;
        this.issuers = issuers;
        this.fleet = fleet;
        this.audit = audit;
        this.config = config;
        this.clock = clock;
        this.poll = poll;
        this.stepTimeout = stepTimeout;
        this.hook = hook;
    }

    public RotationJournal journal() {
        return journal;
    }

    /**
     * Starts a rotation of {@code credential} and runs it until it finishes or pauses.
     *
     * @param supplied the new value, when the operator gives it (--value-stdin, a manual issuer)
     * @throws RotationInProgressException when one is unfinished
     */
    public Rotation start(String credential, Optional<SecretValue> supplied, RotationListener listener) {
        Rotation r = begin(credential, supplied);
        listener.progress(r.id(), "rotation " + r.id() + " of '" + credential + "' started (issuer " + r.issuer()
                + ", current version " + r.oldVersion().orElse("none") + ")");
        return run(r.id(), listener);
    }

    /** Records a new rotation (and the operator's value, encrypted) without running it. */
    public Rotation begin(String credential, Optional<SecretValue> supplied) {
        CredentialIssuer issuer = issuers.apply(credential);
        Optional<String> current = secrets.currentVersionId(credential);
        if (current.isEmpty()) {
            throw new RotationException("credential '" + credential + "' has no current version to rotate; store one first with"
                    + " `credpool secret put " + credential + "`");
        }
        Rotation r = journal.begin(credential, issuer.kind(), current);
        supplied.ifPresent(v -> journal.saveProposed(r.id(), v));
        audit.append(AuditEvent.of(AuditEventKind.ROTATION_STARTED).withCredential(credential, current.get())
                .withDetail("rotation " + r.id() + " with issuer " + issuer.kind()));
        return journal.get(r.id());
    }

    /** Asks an unfinished rotation to roll back; refused after promotion, with the reason. */
    public Rotation abort(String credential, RotationListener listener) {
        Rotation r = journal.active(credential).orElseThrow(() -> new RotationException("no rotation of '" + credential
                + "' is in progress; nothing to abort (see `credpool rotation list`)"));
        if (r.done(Step.PROMOTE) || r.newVersion().isPresent() && r.newVersion().equals(secrets.currentVersionId(credential))) {
            throw new RotationException("rotation " + r.id() + " of '" + credential + "' cannot be aborted: the new version "
                    + r.newVersion().orElse("?") + " was promoted" + r.cutoverAt().map(t -> " at " + t).orElse("")
                    + ", so tasks may already hold it and the old one may be revoked; rolling back would itself be a rotation."
                    + " Let it finish with `credpool rotate " + credential + " --resume`, or start a new rotation afterwards");
        }
        journal.requestAbort(r.id());
        listener.progress(r.id(), "rotation " + r.id() + " of '" + credential + "': abort requested; rolling back");
        return run(r.id(), listener);
    }

    /** Runs (or resumes) a rotation until it finishes, pauses or is stuck; returns it as journaled then. */
    public Rotation run(String id, RotationListener listener) {
        Rotation r = journal.get(id);
        if (r.status().terminal()) {
            return r;
        }
        if (r.status() != RotationStatus.RUNNING) {
            journal.setStatus(id, RotationStatus.RUNNING, null);
        }
        CredentialIssuer issuer = issuers.apply(r.credential());
        Policy policy = policy(r.credential());
        Set<Step> waitingJournaled = EnumSet.noneOf(Step.class);
        for (;;) {
            r = journal.get(id);
            World world = observe(r);
            Action action = Decider.next(r, world, policy);
            try {
                Optional<RotationStatus> end = execute(r, action, issuer, policy, waitingJournaled, listener);
                if (end.isPresent()) {
                    return journal.get(id);
                }
            } catch (IssuerException e) {
                if (e.kind() == IssuerException.Kind.UNAVAILABLE) {
                    return pause(r, action, "the issuer (" + issuer.kind() + ") of '" + r.credential() + "' is unavailable: "
                            + e.getMessage(), listener);
                }
                if (action instanceof Action.CreateInIssuer) {
                    // Refused for good before anything depends on it: the decider rolls back.
                    journal.append(id, Step.CREATE, Phase.FAILED, e.getMessage());
                    journal.setError(id, "the issuer (" + issuer.kind() + ") refused: " + e.getMessage());
                    listener.progress(id, "1/6 create: FAILED: " + e.getMessage());
                    continue;
                }
                // Anywhere else (revoking, typically) nothing may be undone automatically: a person decides.
                return pause(r, action, "the issuer (" + issuer.kind() + ") of '" + r.credential() + "' refused: " + e.getMessage(),
                        listener);
            } catch (ProviderUnavailableException e) {
                return pause(r, action, "the secrets provider of '" + r.credential() + "' is unavailable: " + e.getMessage(), listener);
            }
        }
    }

    private Rotation pause(Rotation r, Action action, String why, RotationListener listener) {
        Step step = stepOf(action);
        // UNAVAILABLE, not FAILED: the decider asks for the same step again on resume.
        journal.append(r.id(), step, Phase.UNAVAILABLE, why);
        String message = why + "; rotation " + r.id() + " is paused at step " + step.lower() + " and resumes where it stopped"
                + " with `credpool rotate " + r.credential() + " --resume` (the server retries on its own)";
        journal.setStatus(r.id(), RotationStatus.PAUSED, message);
        listener.progress(r.id(), "PAUSED: " + message);
        log.warn("{}", message);
        return journal.get(r.id());
    }

    private World observe(Rotation r) {
        Optional<String> current = secrets.currentVersionId(r.credential());
        World.PoolsView pools = fleet.pools(r.credential(), r.newVersion());
        World.Holders holders = r.oldVersion().isPresent() ? fleet.holders(r.credential(), r.oldVersion().get()) : World.Holders.NONE;
        return new World(current, pools, holders, clock.instant(), fleet.seesEveryHolder());
    }

    private Policy policy(String credential) {
        Optional<CredentialSettings> s = config.credential(credential);
        if (s.isEmpty()) {
            return new Policy(false, Policy.defaults().grace(), Policy.GraceExpiry.REKEY, stepTimeout);
        }
        return new Policy(s.get().rotation().verifyWith().isPresent(), s.get().rotation().grace(),
                s.get().rotation().onGraceExpiry().equals("close") ? Policy.GraceExpiry.CLOSE : Policy.GraceExpiry.REKEY, stepTimeout);
    }

    /** Executes one action; returns the final status when the run loop is to stop. */
    private Optional<RotationStatus> execute(Rotation r, Action action, CredentialIssuer issuer, Policy policy,
            Set<Step> waitingJournaled, RotationListener out) {
        String id = r.id();
        String cred = r.credential();
        if (action instanceof Action.CreateInIssuer a) {
            if (journal.proposed(id, cred).isEmpty()) {
                try (SecretValue fresh = generate(cred)) {
                    journal.saveProposed(id, fresh);
                }
            }
            started(r, Step.CREATE, "issuer " + issuer.kind());
            try (SecretValue issued = createIn(r, issuer)) {
                hook.at(id, Step.CREATE, true);
                journal.saveIssued(id, issued);
            }
            done(r, Step.CREATE, "the new credential exists in " + issuer.kind() + " beside the old one", out);
        } else if (action instanceof Action.StorePending a) {
            started(r, Step.STORE_PENDING, null);
            String version;
            try (SecretValue issued = journal.issued(id, cred).orElseThrow(() -> new RotationException("rotation " + id
                    + " has no issued value journaled although its create step is done; the journal was altered"))) {
                version = adoptOrPut(r, issued);
            } catch (VersionConflictException e) {
                journal.append(id, Step.STORE_PENDING, Phase.FAILED, "the current version is no longer " + r.oldVersion().orElse("-"));
                out.progress(id, "2/6 store pending: FAILED: someone else changed the current version of '" + cred + "'");
                return Optional.empty();
            }
            hook.at(id, Step.STORE_PENDING, true);
            journal.setNewVersion(id, version);
            done(r, Step.STORE_PENDING, "stored as " + version + " (pending)", out);
        } else if (action instanceof Action.RefreshPools a) {
            String v = r.newVersion().orElseThrow();
            started(r, Step.REFRESH_POOLS, v);
            fleet.stage(cred, v);
            hook.at(id, Step.REFRESH_POOLS, true);
            done(r, Step.REFRESH_POOLS, "pools build members with " + v + " beside the current ones", out);
        } else if (action instanceof Action.AwaitPoolsFresh a) {
            if (waitingJournaled.add(Step.AWAIT_POOLS)) {
                started(r, Step.AWAIT_POOLS, "waiting for every pool holding '" + cred + "' to be fresh with "
                        + r.newVersion().orElse("?"));
                out.progress(id, "3/6 waiting for the warm pools to be fresh with " + r.newVersion().orElse("?"));
            }
            sleep();
        } else if (action instanceof Action.RunVerification a) {
            finishWait(r, Step.AWAIT_POOLS, "every pool holding '" + cred + "' is fresh with the new version", out);
            String v = r.newVersion().orElseThrow();
            started(r, Step.VERIFY, v);
            try (SecretValue value = secrets.version(cred, v)) {
                try {
                    issuer.verify(cred, value);
                } catch (IssuerException e) {
                    if (e.kind() == IssuerException.Kind.UNAVAILABLE) {
                        throw e;
                    }
                    return failed(r, Step.VERIFY, "the issuer does not accept " + v + ": " + e.getMessage(), out);
                }
            }
            Optional<CredentialSettings> s = config.credential(cred);
            if (policy.verifyTask() && s.isPresent()) {
                String type = s.get().rotation().verifyWith().get();
                int exit = fleet.verify(type, s.get().rotation().verifyCommand(), cred, v);
                if (exit != 0) {
                    return failed(r, Step.VERIFY, "the verification task of type '" + type + "' with " + v + " exited " + exit, out);
                }
            }
            hook.at(id, Step.VERIFY, true);
            done(r, Step.VERIFY, v + " authenticates" + (policy.verifyTask() ? " and the verification task passed" : ""), out);
        } else if (action instanceof Action.Promote a) {
            String v = r.newVersion().orElseThrow();
            started(r, Step.PROMOTE, v);
            try {
                secrets.promote(cred, v, r.oldVersion());
            } catch (VersionConflictException e) {
                if (!secrets.currentVersionId(cred).equals(Optional.of(v))) {
                    return failed(r, Step.PROMOTE, "the current version is no longer " + r.oldVersion().orElse("-"), out);
                }
            }
            journal.setCutover(id, clock.instant());
            // After the promotion: the pending members are the fresh ones from this instant, the old ones stale.
            fleet.unstage(cred);
            hook.at(id, Step.PROMOTE, true);
            done(r, Step.PROMOTE, v + " is current; " + r.oldVersion().orElse("-") + " is previous", out);
        } else if (action instanceof Action.AwaitDrain a) {
            if (waitingJournaled.add(Step.DRAIN)) {
                started(r, Step.DRAIN, r.oldVersion().orElse("-") + " held by " + a.holders());
                out.progress(id, "5/6 draining " + r.oldVersion().orElse("-") + ": held by " + a.holders() + "; grace "
                        + Durations.format(policy.grace()));
            }
            sleep();
        } else if (action instanceof Action.ForceDrain a) {
            String old = r.oldVersion().orElseThrow();
            started(r, Step.FORCE_DRAIN, a.mode().lower());
            int n = a.mode() == Policy.GraceExpiry.REKEY ? fleet.rekeySessions(cred, old) : fleet.closeSessions(cred, old);
            hook.at(id, Step.FORCE_DRAIN, true);
            done(r, Step.FORCE_DRAIN, (a.mode() == Policy.GraceExpiry.REKEY ? "re-keyed " : "closed ") + n + " session"
                    + (n == 1 ? "" : "s") + " still holding " + old + " after the grace period", out);
        } else if (action instanceof Action.RevokeOld a) {
            if (r.drainedAt().isEmpty()) {
                journal.setDrained(id, clock.instant());
            }
            finishWait(r, Step.DRAIN, "nothing holds " + r.oldVersion().orElse("-") + " any more", out);
            String old = r.oldVersion().orElseThrow();
            started(r, Step.REVOKE_OLD, old);
            try (SecretValue value = secrets.version(cred, old)) {
                issuer.revoke(cred, value);
            }
            hook.at(id, Step.REVOKE_OLD, true);
            done(r, Step.REVOKE_OLD, old + " no longer works in " + issuer.kind(), out);
        } else if (action instanceof Action.ConfirmNoUseAfterCutover a) {
            started(r, Step.CONFIRM, null);
            String text = confirm(journal.get(id));
            journal.setConfirmation(id, text);
            hook.at(id, Step.CONFIRM, true);
            done(r, Step.CONFIRM, text, out);
        } else if (action instanceof Action.RollBack a) {
            out.progress(id, "rolling back: " + a.reason());
            for (Action.Undo undo : a.steps()) {
                undo(r, undo, issuer, out);
            }
        } else if (action instanceof Action.Done a) {
            journal.setStatus(id, a.outcome(), r.error().filter(x -> a.outcome() != RotationStatus.DONE).orElse(null));
            audit.append(AuditEvent.of(AuditEventKind.ROTATION_FINISHED).withCredential(cred, r.newVersion().orElse(null))
                    .withDetail("rotation " + id + " " + a.outcome().lower()));
            out.progress(id, "rotation " + id + " of '" + cred + "' " + switch (a.outcome()) {
                case DONE -> "done: " + r.newVersion().orElse("?") + " is current, " + r.oldVersion().orElse("-")
                        + " is revoked; " + journal.get(id).confirmation().orElse("");
                case ROLLED_BACK -> "rolled back: " + r.oldVersion().orElse("-") + " stays current"
                        + r.newVersion().map(v -> ", " + v + " is revoked and marked failed").orElse("");
                case FAILED, RUNNING, PAUSED -> a.outcome().lower();
            });
            return Optional.of(a.outcome());
        } else if (action instanceof Action.Fail a) {
            journal.setStatus(id, RotationStatus.PAUSED, a.reason());
            out.progress(id, "STUCK: " + a.reason());
            log.warn("{}", a.reason());
            return Optional.of(RotationStatus.PAUSED);
        } else {
            throw new IllegalStateException("unknown action " + action);
        }
        return Optional.empty();
    }

    private void undo(Rotation r, Action.Undo undo, CredentialIssuer issuer, RotationListener out) {
        String id = r.id();
        String cred = r.credential();
        started(r, undo.step(), null);
        switch (undo) {
            case REVOKE_NEW -> {
                Optional<SecretValue> issued = journal.issued(id, cred);
                // A create that crashed before its value was journaled: ask again (idempotent) to learn what to revoke.
                try (SecretValue v = issued.isPresent() ? issued.get() : createIn(r, issuer)) {
                    issuer.revoke(cred, v);
                }
                hook.at(id, undo.step(), true);
                done(r, undo.step(), "the new credential no longer works in " + issuer.kind(), out);
            }
            case MARK_FAILED -> {
                String v = r.newVersion().orElseThrow();
                audit.append(AuditEvent.of(AuditEventKind.ROTATION_STEP).withCredential(cred, v)
                        .withDetail("rotation " + id + ": version " + v + " failed and must never be promoted"));
                hook.at(id, undo.step(), true);
                done(r, undo.step(), v + " marked failed", out);
            }
            case RESTORE_POOLS -> {
                fleet.unstage(cred);
                hook.at(id, undo.step(), true);
                done(r, undo.step(), "pools keep " + r.oldVersion().orElse("-") + " only", out);
            }
        }
    }

    private SecretValue createIn(Rotation r, CredentialIssuer issuer) {
        SecretValue proposed = journal.proposed(r.id(), r.credential()).orElseThrow(() -> new RotationException("rotation " + r.id()
                + " has no proposed value journaled; the journal was altered"));
        try (proposed) {
            Optional<SecretValue> current = r.oldVersion().map(v -> secrets.version(r.credential(), v));
            try {
                return issuer.create(r.credential(), r.id(), proposed, current);
            } finally {
                current.ifPresent(SecretValue::wipe);
            }
        }
    }

    /** Adopts a version already stored with this value (a crash after the put), else stores it as pending. */
    private String adoptOrPut(Rotation r, SecretValue issued) {
        for (SecretVersion v : secrets.versions(r.credential())) {
            if (v.labels().contains(Label.PENDING) && !r.oldVersion().equals(Optional.of(v.versionId()))) {
                try (SecretValue stored = secrets.version(r.credential(), v.versionId())) {
                    if (stored.sameValueAs(issued)) {
                        return v.versionId();
                    }
                }
            }
        }
        byte[] bytes = issued.bytes();
        try {
            return secrets.put(r.credential(), bytes, Label.PENDING, r.oldVersion()).versionId();
        } finally {
            java.util.Arrays.fill(bytes, (byte) 0);
        }
    }

    private String confirm(Rotation r) {
        String old = r.oldVersion().orElse("-");
        Instant cutover = r.cutoverAt().orElse(r.updatedAt());
        Instant drained = r.drainedAt().orElse(cutover);
        List<AuditRecord> receipts = audit.forCredential(r.credential(), r.oldVersion())
                .stream().filter(x -> x.kind() == AuditEventKind.CREDENTIAL_RECEIVED).toList();
        long afterDrain = receipts.stream().filter(x -> x.time().isAfter(drained)).count();
        long inFlight = receipts.stream().filter(x -> x.time().isAfter(cutover) && !x.time().isAfter(drained)).count();
        if (afterDrain == 0) {
            return "confirmed: no task or session received " + old + " after the drain (" + drained + "); " + inFlight
                    + " receipt" + (inFlight == 1 ? "" : "s") + " between the cut-over (" + cutover + ") and the drain, by tasks"
                    + " prepared before it";
        }
        return "NOT confirmed: " + afterDrain + " receipt" + (afterDrain == 1 ? "" : "s") + " of " + old + " after the drain ("
                + drained + "); see `credpool audit query --credential " + r.credential() + " --version " + old + "`";
    }

    private Optional<RotationStatus> failed(Rotation r, Step step, String why, RotationListener out) {
        journal.append(r.id(), step, Phase.FAILED, why);
        journal.setError(r.id(), why);
        out.progress(r.id(), label(step) + ": FAILED: " + why);
        return Optional.empty();
    }

    private void started(Rotation r, Step step, String detail) {
        journal.append(r.id(), step, Phase.STARTED, detail);
        hook.at(r.id(), step, false);
    }

    private void done(Rotation r, Step step, String detail, RotationListener out) {
        journal.append(r.id(), step, Phase.DONE, detail);
        audit.append(AuditEvent.of(AuditEventKind.ROTATION_STEP).withCredential(r.credential(), r.newVersion().orElse(null))
                .withDetail("rotation " + r.id() + ": " + step.lower() + " done: " + detail));
        out.progress(r.id(), label(step) + ": " + detail);
    }

    private void finishWait(Rotation r, Step step, String detail, RotationListener out) {
        if (r.last(step).orElse(null) == Phase.STARTED && WAITING.contains(step)) {
            done(r, step, detail, out);
        }
    }

    private static String label(Step step) {
        int n = step.checklistNumber();
        return (n == 0 ? "rollback" : n + "/6") + " " + step.lower().replace('_', ' ');
    }

    private static Step stepOf(Action a) {
        if (a instanceof Action.CreateInIssuer x) {
            return Step.CREATE;
        }
        if (a instanceof Action.StorePending x) {
            return Step.STORE_PENDING;
        }
        if (a instanceof Action.RefreshPools x) {
            return Step.REFRESH_POOLS;
        }
        if (a instanceof Action.AwaitPoolsFresh x) {
            return Step.AWAIT_POOLS;
        }
        if (a instanceof Action.RunVerification x) {
            return Step.VERIFY;
        }
        if (a instanceof Action.Promote x) {
            return Step.PROMOTE;
        }
        if (a instanceof Action.AwaitDrain x) {
            return Step.DRAIN;
        }
        if (a instanceof Action.ForceDrain x) {
            return Step.FORCE_DRAIN;
        }
        if (a instanceof Action.RevokeOld x) {
            return Step.REVOKE_OLD;
        }
        if (a instanceof Action.ConfirmNoUseAfterCutover x) {
            return Step.CONFIRM;
        }
        if (a instanceof Action.RollBack x) {
            return x.steps().isEmpty() ? Step.ROLLBACK_REVOKE_NEW : x.steps().get(0).step();
        }
        if (a instanceof Action.Done x) {
            return Step.CONFIRM;
        }
        if (a instanceof Action.Fail x) {
            return Step.DRAIN;
        }
        throw new IllegalStateException("unknown action " + a);
    }

    private SecretValue generate(String credential) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        byte[] text = Base64.getUrlEncoder().withoutPadding().encodeToString(b).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        java.util.Arrays.fill(b, (byte) 0);
        try {
            return SecretValue.of(credential, "proposed", text);
        } finally {
            java.util.Arrays.fill(text, (byte) 0);
        }
    }

    private void sleep() {
        try {
            Thread.sleep(poll.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RotationException("interrupted while waiting; the rotation resumes where it stopped", e);
        }
    }
}
