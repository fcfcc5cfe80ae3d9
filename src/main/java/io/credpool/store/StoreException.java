package io.credpool.store;

/** The state database could not be opened or migrated; the message says which and what to do. */
public final class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
