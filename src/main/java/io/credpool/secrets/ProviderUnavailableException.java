package io.credpool.secrets;

/** The secrets provider could not be reached or failed; nothing was read or written. */
public final class ProviderUnavailableException extends SecretsException {
    public ProviderUnavailableException(String credential, String message, Throwable cause) {
        super(credential, message, cause);
    }
}
