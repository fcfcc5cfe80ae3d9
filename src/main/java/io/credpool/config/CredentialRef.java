package io.credpool.config;

/**
 * A task type's reference to a credential: by name, never by value.
 *
 * @param name the credential's name in its secrets provider
 * @param env the environment variable the value is injected as
 * @param scope when the value is fetched and how long it is held
 * @param where where the reference was written, for errors
 */
public record CredentialRef(String name, String env, Scope scope, Location where) {
}
