package io.credpool.rotation;

/** A rotation request that cannot be carried out as asked; the message says why and what to do. */
public final class RotationException extends RuntimeException {
    public RotationException(String message) {
        super(message);
    }

    public RotationException(String message, Throwable cause) {
        super(message, cause);
    }
}
