package io.credpool.issuer;

/** The external service refused or could not be reached; the message names the credential, never a value. */
public final class IssuerException extends RuntimeException {
    /** Whether trying again later may succeed (service down) or not (permission denied, bad config). */
    public enum Kind { UNAVAILABLE, REJECTED }

    private final Kind kind;

    public IssuerException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
