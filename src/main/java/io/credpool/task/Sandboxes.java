package io.credpool.task;

import io.credpool.config.TaskType;
import io.credpool.sandbox.SandboxBackend;

/** Chooses the sandbox backend for a task type. */
@FunctionalInterface
public interface Sandboxes {
    /**
     * @throws TaskRefusedException with {@link TaskRefusedException.Reason#NO_SANDBOX} when the
     *     host has none of what the task type accepts
     */
    SandboxBackend forType(TaskType type);
}
