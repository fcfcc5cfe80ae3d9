package io.credpool.rotation;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A rotation as journaled: its record and every step row so far. Values are not here; whether
 * the journal holds the issued value (encrypted) is, because rolling back needs it.
 */
public record Rotation(String id, String credential, RotationStatus status, String issuer, Optional<String> oldVersion,
        Optional<String> newVersion, boolean hasIssuedValue, boolean abortRequested, Optional<Instant> cutoverAt,
        Optional<Instant> drainedAt, Optional<String> confirmation, Optional<String> error, Instant createdAt,
        Instant updatedAt, List<JournalEntry> journal) {

    public Rotation {
        journal = List.copyOf(journal);
    }

    /** The last phase written for {@code step}, if it was ever started. */
    public Optional<Phase> last(Step step) {
        Phase p = null;
        for (JournalEntry e : journal) {
            if (e.step() == step) {
                p = e.phase();
            }
        }
        return Optional.ofNullable(p);
    }

    public boolean done(Step step) {
        return last(step).orElse(null) == Phase.DONE;
    }

    public boolean started(Step step) {
        return last(step).isPresent();
    }

    public boolean failed(Step step) {
        return last(step).orElse(null) == Phase.FAILED;
    }

    /** When {@code step} was last started: stuck timers count from here, so a resume restarts them. */
    public Optional<Instant> lastStarted(Step step) {
        Instant at = null;
        for (JournalEntry e : journal) {
            if (e.step() == step && e.phase() == Phase.STARTED) {
                at = e.at();
            }
        }
        return Optional.ofNullable(at);
    }

    /** The step the rotation is at: the last one journaled, for messages ("id R, step S"). */
    public String currentStep() {
        return journal.isEmpty() ? "not started" : journal.get(journal.size() - 1).step().lower();
    }
}
