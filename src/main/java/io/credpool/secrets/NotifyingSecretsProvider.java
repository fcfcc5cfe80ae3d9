package io.credpool.secrets;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A provider that tells listeners, by credential name, when a write through this process may have
 * changed which version is current. Writes made by another process (another `credpool secret put`,
 * an operator in Vault's UI) are not seen here: whoever must never act on an old version reads
 * {@link #currentVersionId} itself instead of relying on being told.
 */
public final class NotifyingSecretsProvider implements SecretsProvider {
    private static final Logger log = LoggerFactory.getLogger(NotifyingSecretsProvider.class);

    private final SecretsProvider delegate;
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

    public NotifyingSecretsProvider(SecretsProvider delegate) {
        this.delegate = delegate;
    }

    /** Calls {@code listener} with the credential's name after each put or promote; returns how to stop. */
    public AutoCloseable onChange(Consumer<String> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public String kind() {
        return delegate.kind();
    }

    @Override
    public SecretValue current(String name) {
        return delegate.current(name);
    }

    @Override
    public SecretValue version(String name, String versionId) {
        return delegate.version(name, versionId);
    }

    @Override
    public Optional<String> currentVersionId(String name) {
        return delegate.currentVersionId(name);
    }

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
            // Also after a failure: a write that timed out may still have committed.
            changed(name);
        }
    }

    @Override
    public SecretVersion promote(String name, String versionId, Optional<String> expectedCurrent) {
        try {
            return delegate.promote(name, versionId, expectedCurrent);
        } finally {
            changed(name);
        }
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }

    private void changed(String name) {
        for (Consumer<String> l : listeners) {
            try {
                l.accept(name);
            } catch (RuntimeException e) {
                log.warn("a listener for changes of '{}' failed: {}", name, e.toString());
            }
        }
    }
}
