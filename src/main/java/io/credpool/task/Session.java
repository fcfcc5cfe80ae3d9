package io.credpool.task;

import io.credpool.config.CredentialRef;
import io.credpool.secrets.SecretValue;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * An open session: its task type's session-scope values, fetched once at open and held only in
 * this object's memory until {@link #wipe()}.
 */
public final class Session {
    private final String id;
    private final String taskType;
    private final Instant opened;
    private final Map<CredentialRef, SecretValue> values;
    private int running;
    private boolean closed;

    Session(String id, String taskType, Instant opened, Map<CredentialRef, SecretValue> values) {
        this.id = id;
        this.taskType = taskType;
        this.opened = opened;
        this.values = Map.copyOf(values);
    }

    public String id() {
        return id;
    }

    public String taskType() {
        return taskType;
    }

    public Instant opened() {
        return opened;
    }

    /** Name and version of what the session holds; never values. */
    public List<ReceivedCredential> held() {
        return values.entrySet().stream()
                .map(e -> new ReceivedCredential(e.getKey().name(), e.getValue().version(), e.getKey().env(), e.getKey().scope()))
                .sorted(java.util.Comparator.comparing(ReceivedCredential::name))
                .toList();
    }

    Map<CredentialRef, SecretValue> values() {
        return values;
    }

    /** A task starts using the session's values; false once the session is closed. */
    synchronized boolean acquire() {
        if (closed) {
            return false;
        }
        running++;
        return true;
    }

    /** A task is done with the values; the last one out of a closed session wipes them. */
    synchronized void release() {
        running--;
        if (closed && running == 0) {
            values.values().forEach(SecretValue::wipe);
        }
    }

    /** No new task may use the session; values are wiped now, or when its last running task ends. */
    synchronized void close() {
        closed = true;
        if (running == 0) {
            values.values().forEach(SecretValue::wipe);
        }
    }

    @Override
    public String toString() {
        return "Session[id=" + id + ", taskType=" + taskType + ", credentials=" + values.size() + "]";
    }
}
