package io.credpool.pool;

import io.credpool.sandbox.Sandbox;
import io.credpool.secrets.SecretValue;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One warm sandbox and what was baked into it. Its state changes only by {@link #transition}; the
 * fields set by {@link #built} are published to other threads by the BUILDING -> READY CAS.
 */
final class Member {
    private final String id;
    private final long generation;
    private final AtomicReference<MemberState> state = new AtomicReference<>(MemberState.BUILDING);
    private Sandbox sandbox;
    /** Baked values by credential name; held so the task's output can be redacted, wiped on destroy. */
    private Map<String, SecretValue> values = Map.of();
    private Map<String, Fingerprint> fingerprints = Map.of();
    private Instant readyAt;
    private Instant expiresAt;

    Member(String id, long generation) {
        this.id = id;
        this.generation = generation;
    }

    void built(Sandbox sandbox, Map<String, SecretValue> values, Map<String, Fingerprint> fingerprints, Instant readyAt,
            Instant expiresAt) {
        this.sandbox = sandbox;
        this.values = Map.copyOf(values);
        this.fingerprints = Map.copyOf(fingerprints);
        this.readyAt = readyAt;
        this.expiresAt = expiresAt;
    }

    String id() {
        return id;
    }

    long generation() {
        return generation;
    }

    MemberState state() {
        return state.get();
    }

    boolean transition(MemberState from, MemberState to) {
        return state.compareAndSet(from, to);
    }

    /** For shutdown only: whatever it was, it is now being destroyed; returns what it was. */
    MemberState forceStale() {
        for (;;) {
            MemberState now = state.get();
            if (now == MemberState.STALE || now == MemberState.DESTROYED || state.compareAndSet(now, MemberState.STALE)) {
                return now;
            }
        }
    }

    Sandbox sandbox() {
        return sandbox;
    }

    Map<String, SecretValue> values() {
        return values;
    }

    Map<String, Fingerprint> fingerprints() {
        return fingerprints;
    }

    Instant readyAt() {
        return readyAt;
    }

    Instant expiresAt() {
        return expiresAt;
    }

    /** True when every baked credential is at the version given as current (credential name -> version id). */
    boolean matches(Map<String, String> current) {
        for (Fingerprint f : fingerprints.values()) {
            if (!f.versionId().equals(current.get(f.credential()))) {
                return false;
            }
        }
        return true;
    }

    /** Kills the sandbox and wipes the values. Only the thread that moved it to DESTROYED calls this. */
    void destroy() {
        try {
            if (sandbox != null) {
                sandbox.close();
            }
        } finally {
            values.values().forEach(SecretValue::wipe);
        }
    }

    @Override
    public String toString() {
        return "Member[" + id + ", " + state.get() + ", gen " + generation + ", " + fingerprints.values() + "]";
    }
}
