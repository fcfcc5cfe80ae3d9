package io.credpool.rotation;

/** Where one journaled step stands: written STARTED before its effect, then one of the others after. */
public enum Phase {
    STARTED,
    DONE,
    /** The effect was refused for good (issuer REJECTED, verification failed): the rotation rolls back. */
    FAILED,
    /** The service could not be reached: the rotation pauses and the same step is tried again on resume. */
    UNAVAILABLE
}
