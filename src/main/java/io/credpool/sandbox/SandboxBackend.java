package io.credpool.sandbox;

/**
 * The port to whatever isolates a task: a bubblewrap sandbox, a microVM. A backend creates
 * sandboxes that are started and wait for exactly one command; credentials given at creation are
 * "baked in", those given to {@link Sandbox#run} are injected at lease time.
 */
public interface SandboxBackend extends AutoCloseable {

    /** A short name for messages and the audit log: "bubblewrap", "unshare", "unsandboxed". */
    String name();

    /**
     * Starts a sandbox and waits until its agent is ready for a command.
     *
     * @throws SandboxException if it could not be started; nothing is left running
     */
    Sandbox create(SandboxSpec spec);

    @Override
    default void close() {
    }
}
