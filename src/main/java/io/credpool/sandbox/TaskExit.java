package io.credpool.sandbox;

import java.time.Duration;

/**
 * How a task's process ended.
 *
 * @param exitCode the exit code, or 128 + signal number when killed by a signal
 * @param timedOut true when credpool killed it for outliving its timeout
 */
public record TaskExit(int exitCode, boolean timedOut, Duration elapsed) {
}
