package io.credpool.rotation;

import java.time.Instant;

/** One journal row: a step's phase at a time, with a detail that holds version ids and counts, never values. */
public record JournalEntry(int seq, Step step, Phase phase, Instant at, String detail) {
}
