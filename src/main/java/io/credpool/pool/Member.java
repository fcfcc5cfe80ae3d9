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
    /** Credential -> pending version a rotation staged when this member was started; empty for a normal member. */
    private final Map<String, String> builtFor;
    private final AtomicReference<MemberState> state = new AtomicReference<>(MemberState.BUILDING);
    private Sandbox sandbox;
    /** Baked values by credential name; held so the task's output can be redacted, wiped on destroy. */
    private Map<String, SecretValue> values = Map.of();
    private Map<String, Fingerprint> fingerprints = Map.of();
    private Instant readyAt;
    private Instant expiresAt;

    Member(String id, long generation) {
        this(id, generation, Map.of());
    }

    Member(String id, long generation, Map<String, String> builtFor) {
        this.id = id;
        this.generation = generation;
        this.builtFor = Map.copyOf(builtFor);
    }

    Map<String, String> builtFor() {
        return builtFor;
    }

    /**
     * A member of a rotation still staged: built for pending versions that are still the staged
     * ones. Once the rotation promotes (or rolls back) and unstages, it is an ordinary member again,
     * fresh or stale by the usual rule.
     */
    boolean isPending(Map<String, String> staged) {
        if (builtFor.isEmpty()) {
            return false;
        }
        for (Map.Entry<String, String> e : builtFor.entrySet()) {
            if (!e.getValue().equals(staged.get(e.getKey()))) {
                return false;
            }
        }
        return true;
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

    /** True when some baked credential is at {@code version} (for counting holders of an old version). */
    boolean holds(String credential, String version) {
        Fingerprint f = fingerprints.get(credential);
        return f != null && f.versionId().equals(version);
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
