package io.credpool.task;

import java.time.Duration;
import java.util.List;

/** How a task ended and what it received. */
public record TaskResult(String taskId, String taskType, String sandbox, int exitCode, boolean timedOut,
        Duration elapsed, List<ReceivedCredential> received) {
    public TaskResult {
        received = List.copyOf(received);
    }
}
