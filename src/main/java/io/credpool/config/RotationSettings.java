package io.credpool.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How a credential rotates, from {@code credentials.NAME.rotation}.
 *
 * @param verifyWith the task type whose task proves the new version works, run with it injected
 * @param verifyCommand the command that task runs (argv; a single string runs under {@code sh -c})
 * @param grace how long after promotion holders of the old version may keep it
 * @param onGraceExpiry "rekey" (sessions get the new version) or "close" (sessions are closed)
 * @param where where {@code verify_with} was written, for errors
 */
public record RotationSettings(Optional<String> verifyWith, List<String> verifyCommand, Duration grace, String onGraceExpiry,
        Location where) {
    public static final Duration DEFAULT_GRACE = Duration.ofMinutes(5);

    public RotationSettings {
        verifyCommand = List.copyOf(verifyCommand);
    }

    public static RotationSettings defaults() {
        return new RotationSettings(Optional.empty(), List.of(), DEFAULT_GRACE, "rekey", null);
    }
}
