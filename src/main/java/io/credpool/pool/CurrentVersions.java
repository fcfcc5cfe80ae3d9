package io.credpool.pool;

import io.credpool.secrets.SecretNotFoundException;
import io.credpool.secrets.SecretsProvider;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Which version of each credential is current, two ways.
 *
 * <p>{@link #read} asks the provider every time: the lease path uses it, because a member must
 * never be leased stale and a write by another process (`credpool secret put` from a shell, a
 * rotation run elsewhere, Vault's UI) is invisible to this process until it asks. For the embedded
 * store that is one indexed SQLite read per pool-scope credential, well under a millisecond.
 *
 * <p>{@link #cached} may answer from a cache that lives at most {@code ttl} and is dropped for a
 * name as soon as a write through this process touches it ({@link #invalidate}): the background
 * refresher uses it to find stale members and rebuild them before a lease has to discard them. So
 * after another process's write, members are rebuilt within about {@code ttl}, and a lease in that
 * window discards the stale member it finds (a cold start, counted) rather than using it.
 */
final class CurrentVersions {
    /** The version id meaning "the secret has no current version": matches no fingerprint. */
    static final String NONE = "";

    private record Entry(String versionId, long readAtNanos) {
    }

    private final SecretsProvider secrets;
    private final long ttlNanos;
    private final LongSupplier nanoTime;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();

    CurrentVersions(SecretsProvider secrets, Duration ttl, LongSupplier nanoTime) {
        this.secrets = secrets;
        this.ttlNanos = ttl.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Asks the provider now. @throws io.credpool.secrets.SecretsException when it cannot answer */
    Map<String, String> read(Collection<String> names) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : names) {
            String v = readOne(name);
            out.put(name, v);
            cache.put(name, new Entry(v, nanoTime.getAsLong()));
        }
        return out;
    }

    /** From the cache where fresh enough, else from the provider. */
    Map<String, String> cached(Collection<String> names) {
        Map<String, String> out = new LinkedHashMap<>();
        long now = nanoTime.getAsLong();
        for (String name : names) {
            Entry e = cache.get(name);
            if (e == null || now - e.readAtNanos() >= ttlNanos) {
                e = new Entry(readOne(name), now);
                cache.put(name, e);
            }
            out.put(name, e.versionId());
        }
        return out;
    }

    void invalidate(String name) {
        cache.remove(name);
    }

    private String readOne(String name) {
        try {
            return secrets.currentVersionId(name).orElse(NONE);
        } catch (SecretNotFoundException e) {
            return NONE;
        }
    }
}
