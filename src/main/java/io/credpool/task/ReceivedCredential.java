package io.credpool.task;

import io.credpool.config.Scope;

/** Which version of which credential a task received, and as which variable: never the value. */
public record ReceivedCredential(String name, String version, String env, Scope scope) {
}
