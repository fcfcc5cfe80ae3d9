package io.credpool.rotation;

import java.time.Duration;

/**
 * How one credential rotates, from its config.
 *
 * @param verifyTask a verification task type is configured (step 4 runs it beside the issuer's own check)
 * @param grace how long the drain waits for old holders before acting on sessions
 * @param onGraceExpiry what happens to sessions still holding the old version after the grace
 * @param stepTimeout how long a waiting step (pools, drain) may take before the rotation is reported stuck
 */
public record Policy(boolean verifyTask, Duration grace, GraceExpiry onGraceExpiry, Duration stepTimeout) {

    /** What to do with sessions that still hold the old version when the grace period ends. */
    public enum GraceExpiry {
        /** Give them the new current version (their running tasks keep theirs until they end). */
        REKEY,
        /** Close them; their running tasks finish, no new task can use them. */
        CLOSE;

        public String lower() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static Policy defaults() {
        return new Policy(false, Duration.ofMinutes(5), GraceExpiry.REKEY, Duration.ofMinutes(15));
    }
}
