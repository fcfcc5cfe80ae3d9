package io.credpool.config;

/**
 * A task type's reference to a credential: by name, never by value.
 *
 * @param name the credential's name in its secrets provider
 * @param env the environment variable the value is injected as
 * @param scope when the value is fetched and how long it is held
 * @param where where the reference was written, for errors
 * @param provider the provider named on this reference, if any; the credential's provider is
 *     {@link CredpoolConfig#providerOf(String)}, which also looks at the credentials section
 */
public record CredentialRef(String name, String env, Scope scope, Location where, java.util.Optional<String> provider) {
    public CredentialRef(String name, String env, Scope scope, Location where) {
        this(name, env, scope, where, java.util.Optional.empty());
    }
}
