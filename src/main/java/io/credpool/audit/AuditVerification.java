package io.credpool.audit;

import java.util.Optional;

/** The outcome of {@link AuditLog#verify()}: intact, or the first record where the chain breaks. */
public record AuditVerification(long recordsChecked, Optional<Break> firstBreak) {

    /** Why the chain is broken at a record. */
    public enum Problem {
        /** The record's fields do not hash to its stored hash: a field was changed. */
        HASH_MISMATCH,
        /** The record's previous-hash is not the hash of the record before it. */
        BROKEN_LINK,
        /** No record carries this sequence number although later ones exist: it was deleted. */
        MISSING_RECORD,
        /** The chain's head says more records were appended than are present at the end. */
        TRUNCATED,
        /** A record lies outside the chain that append() built (after the head, or seq < 1). */
        UNEXPECTED_RECORD
    }

    /** Where the chain first breaks: the sequence number and why. */
    public record Break(long sequence, Problem problem, String explanation) {
    }

    static AuditVerification intact(long recordsChecked) {
        return new AuditVerification(recordsChecked, Optional.empty());
    }

    static AuditVerification broken(long recordsChecked, long sequence, Problem problem,
            String explanation) {
        return new AuditVerification(recordsChecked,
                Optional.of(new Break(sequence, problem, explanation)));
    }

    public boolean ok() {
        return firstBreak.isEmpty();
    }
}
