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
    private volatile Map<CredentialRef, SecretValue> values;
    /** Values replaced by a re-key while tasks still ran with them: wiped when the last one ends. */
    private final java.util.List<SecretValue> replaced = new java.util.ArrayList<>();
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
        if (running == 0) {
            replaced.forEach(SecretValue::wipe);
            replaced.clear();
        }
        if (closed && running == 0) {
            values.values().forEach(SecretValue::wipe);
        }
    }

    /**
     * Replaces some of the session's values (a rotation re-keys it to the new current version):
     * the session's next task gets the new ones; tasks running now keep theirs until they end.
     * False (and {@code fresh} wiped) when the session is closed.
     */
    synchronized boolean rekey(Map<CredentialRef, SecretValue> fresh) {
        if (closed) {
            fresh.values().forEach(SecretValue::wipe);
            return false;
        }
        Map<CredentialRef, SecretValue> next = new java.util.LinkedHashMap<>(values);
        for (Map.Entry<CredentialRef, SecretValue> e : fresh.entrySet()) {
            SecretValue old = next.put(e.getKey(), e.getValue());
            if (old != null) {
                if (running == 0) {
                    old.wipe();
                } else {
                    replaced.add(old);
                }
            }
        }
        values = Map.copyOf(next);
        return true;
    }

    /** True when the session holds {@code version} of {@code credential}. */
    boolean holds(String credential, String version) {
        for (Map.Entry<CredentialRef, SecretValue> e : values.entrySet()) {
            if (e.getKey().name().equals(credential) && e.getValue().version().equals(version)) {
                return true;
            }
        }
        return false;
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
