package io.credpool.secrets;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Sends each credential to the secrets provider its config names (Vault, AWS, GitHub, ...) and
 * every other one to the default provider, so that the orchestrator keeps asking one
 * {@link SecretsProvider} and still fetches everything before starting anything.
 */
public final class SecretsRouter implements SecretsProvider {
    private final SecretsProvider fallback;
    private final Map<String, SecretsProvider> byCredential;
    private final Map<String, String> providerNames;
    private final List<SecretsProvider> owned;

    /**
     * @param fallback the provider of credentials the config does not route; not closed by
     *     {@link #close()} (its owner closes it)
     * @param routes credential name to (provider instance name, provider)
     * @param owned providers this router closes
     */
    public SecretsRouter(SecretsProvider fallback, Map<String, Route> routes, List<SecretsProvider> owned) {
        this.fallback = fallback;
        Map<String, SecretsProvider> p = new TreeMap<>();
        Map<String, String> n = new TreeMap<>();
        routes.forEach((credential, route) -> {
            p.put(credential, route.provider());
            n.put(credential, route.providerName());
        });
        this.byCredential = p;
        this.providerNames = n;
        this.owned = List.copyOf(owned);
    }

    /** Where one credential lives: the provider's name in the config, and the provider. */
    public record Route(String providerName, SecretsProvider provider) {
    }

    /** The provider that holds {@code credential}. */
    public SecretsProvider providerFor(String credential) {
        return byCredential.getOrDefault(credential, fallback);
    }

    /** The config name of the provider that holds {@code credential}; "embedded" by default. */
    public String providerNameFor(String credential) {
        return providerNames.getOrDefault(credential, fallback.kind());
    }

    @Override
    public String kind() {
        return "router";
    }

    @Override
    public SecretValue current(String name) {
        return providerFor(name).current(name);
    }

    @Override
    public SecretValue version(String name, String versionId) {
        return providerFor(name).version(name, versionId);
    }

    @Override
    public Optional<String> currentVersionId(String name) {
        return providerFor(name).currentVersionId(name);
    }

    @Override
    public List<SecretVersion> versions(String name) {
        return providerFor(name).versions(name);
    }

    /**
     * The default provider's secrets and, for each routed credential, its versions: never a
     * whole remote mount or account, which may hold far more than credpool's own.
     */
    @Override
    public List<SecretVersion> list() {
        List<SecretVersion> out = new ArrayList<>();
        for (SecretVersion v : fallback.list()) {
            if (!byCredential.containsKey(v.name())) {
                out.add(v);
            }
        }
        for (String name : new TreeSet<>(byCredential.keySet())) {
            try {
                out.addAll(byCredential.get(name).versions(name));
            } catch (SecretNotFoundException e) {
                // Declared but not yet stored: nothing to list.
            }
        }
        out.sort(Comparator.comparing(SecretVersion::name));
        return out;
    }

    @Override
    public SecretVersion put(String name, byte[] value, Label label, Optional<String> expectedCurrent) {
        return providerFor(name).put(name, value, label, expectedCurrent);
    }

    @Override
    public SecretVersion promote(String name, String versionId, Optional<String> expectedCurrent) {
        return providerFor(name).promote(name, versionId, expectedCurrent);
    }

    @Override
    public void close() {
        RuntimeException first = null;
        Set<SecretsProvider> closed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (SecretsProvider p : owned) {
            if (p != fallback && closed.add(p)) {
                try {
                    p.close();
                } catch (RuntimeException e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
