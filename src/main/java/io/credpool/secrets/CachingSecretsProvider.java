package io.credpool.secrets;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Keeps values read from a remote secrets manager for a short time, so that many tasks starting
 * at once make one request instead of one each.
 *
 * <p>Entries are keyed by (name, version) and by name for "the current version"; both live at
 * most {@code ttl}. A put or promote through this provider drops the name's current entry at
 * once, so credpool's own rotation is seen by the next task. A change made outside credpool
 * (in the Vault UI, by an AWS rotation Lambda) is seen at the latest {@code ttl} later: that is
 * the staleness bound. Concurrent misses for one key wait for a single fetch. Values are held in
 * this process's memory only and wiped when dropped.
 */
public final class CachingSecretsProvider implements SecretsProvider {
    private final SecretsProvider delegate;
    private final long ttlNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Entry> current = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Key, Entry> versions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Object, Object> locks = new ConcurrentHashMap<>();

    private record Key(String name, String version) {
    }

    private record Entry(SecretValue value, long expiresAt) {
    }

    public CachingSecretsProvider(SecretsProvider delegate, Duration ttl) {
        this(delegate, ttl, System::nanoTime);
    }

    CachingSecretsProvider(SecretsProvider delegate, Duration ttl, LongSupplier nanoTime) {
        this.delegate = delegate;
        this.ttlNanos = ttl.toNanos();
        this.nanoTime = nanoTime;
    }

    public SecretsProvider delegate() {
        return delegate;
    }

    @Override
    public String kind() {
        return delegate.kind();
    }

    @Override
    public SecretValue current(String name) {
        return cached(current, name, () -> {
            SecretValue v = delegate.current(name);
            // The same bytes are also "that version": a later version() read needs no request.
            versions.put(new Key(name, v.version()), new Entry(copy(v), nanoTime.getAsLong() + ttlNanos));
            return v;
        });
    }

    @Override
    public SecretValue version(String name, String versionId) {
        return cached(versions, new Key(name, versionId), () -> delegate.version(name, versionId));
    }

    @Override
    public Optional<String> currentVersionId(String name) {
        Entry e = current.get(name);
        if (e != null && fresh(e)) {
            return Optional.of(e.value().version());
        }
        return delegate.currentVersionId(name);
    }

    /** Metadata is always read afresh: it is what rotation and `secret list` decide on. */
    @Override
    public List<SecretVersion> versions(String name) {
        return delegate.versions(name);
    }

    @Override
    public List<SecretVersion> list() {
        return delegate.list();
    }

    @Override
    public SecretVersion put(String name, byte[] value, Label label, Optional<String> expectedCurrent) {
        try {
            return delegate.put(name, value, label, expectedCurrent);
        } finally {
            // Also after a conflict: the conflict says our idea of current is out of date.
            invalidate(name);
        }
    }

    @Override
    public SecretVersion promote(String name, String versionId, Optional<String> expectedCurrent) {
        try {
            return delegate.promote(name, versionId, expectedCurrent);
        } finally {
            invalidate(name);
        }
    }

    /** Forgets which version of {@code name} is current; the next read asks the manager. */
    public void invalidate(String name) {
        Entry e = current.remove(name);
        if (e != null) {
            e.value().wipe();
        }
    }

    @Override
    public void close() {
        current.values().forEach(e -> e.value().wipe());
        versions.values().forEach(e -> e.value().wipe());
        current.clear();
        versions.clear();
        delegate.close();
    }

    private <K> SecretValue cached(ConcurrentHashMap<K, Entry> map, K key, Supplier<SecretValue> load) {
        SecretValue hit = hit(map.get(key));
        if (hit != null) {
            return hit;
        }
        synchronized (locks.computeIfAbsent(key, k -> new Object())) {
            hit = hit(map.get(key));
            if (hit != null) {
                return hit;
            }
            SecretValue loaded = load.get();
            Entry old = map.put(key, new Entry(copy(loaded), nanoTime.getAsLong() + ttlNanos));
            if (old != null) {
                old.value().wipe();
            }
            return loaded;
        }
    }

    /** A copy for the caller (who wipes it when done), or null when missing, expired or wiped. */
    private SecretValue hit(Entry e) {
        if (e == null || !fresh(e)) {
            return null;
        }
        try {
            return copy(e.value());
        } catch (IllegalStateException wipedMeanwhile) {
            return null;
        }
    }

    private boolean fresh(Entry e) {
        return nanoTime.getAsLong() - e.expiresAt() < 0;
    }

    private static SecretValue copy(SecretValue v) {
        byte[] b = v.bytes();
        try {
            return SecretValue.of(v.name(), v.version(), b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }
}
