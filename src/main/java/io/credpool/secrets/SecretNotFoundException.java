package io.credpool.secrets;

/** The provider has no such secret, or no such version of it. */
public final class SecretNotFoundException extends SecretsException {
    public SecretNotFoundException(String credential, String message) {
        super(credential, message);
    }
}
