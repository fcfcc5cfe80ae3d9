package io.credpool.pool;

import io.credpool.sandbox.Sandbox;
import io.credpool.secrets.SecretValue;
import java.util.Map;

/**
 * One warm member, taken by one task. Run the task in {@link #sandbox()}, then close the lease:
 * the member is destroyed, never returned to the pool.
 */
public final class Lease implements AutoCloseable {
    private final WarmPool pool;
    private final Member member;

    Lease(WarmPool pool, Member member) {
        this.pool = pool;
        this.member = member;
    }

    public String memberId() {
        return member.id();
    }

    public Sandbox sandbox() {
        return member.sandbox();
    }

    /** The values baked into the member, by credential name: for redaction and the audit log's version ids. */
    public Map<String, SecretValue> values() {
        return member.values();
    }

    public Map<String, Fingerprint> fingerprints() {
        return member.fingerprints();
    }

    @Override
    public void close() {
        pool.release(member);
    }

    @Override
    public String toString() {
        return "Lease[" + member.id() + " of '" + pool.taskType() + "']";
    }
}
