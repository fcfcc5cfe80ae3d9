package io.credpool.secrets.embedded;

import io.credpool.secrets.SecretsException;

/** The master key file is missing, malformed or readable by others; never carries key bytes. */
public final class MasterKeyException extends SecretsException {
    public MasterKeyException(String message) {
        super(null, message);
    }

    public MasterKeyException(String message, Throwable cause) {
        super(null, message, cause);
    }
}
