package io.credpool.secrets;

/** Base of the secrets errors; messages name the credential and never carry a value. */
public class SecretsException extends RuntimeException {
    private final String credential;

    public SecretsException(String credential, String message) {
        super(message);
        this.credential = credential;
    }

    public SecretsException(String credential, String message, Throwable cause) {
        super(message, cause);
        this.credential = credential;
    }

    /** The credential name this error is about, or null when it concerns the whole provider. */
    public String credential() {
        return credential;
    }
}
