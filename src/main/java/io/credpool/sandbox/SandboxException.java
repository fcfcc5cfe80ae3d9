package io.credpool.sandbox;

/** A sandbox could not be created or failed while running; messages never carry a value. */
public final class SandboxException extends RuntimeException {
    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
