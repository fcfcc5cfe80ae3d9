package io.credpool.issuer;

import io.credpool.secrets.SecretValue;
import java.util.Optional;

/**
 * The port to the external service where a credential is valid: a Redis ACL user, a PostgreSQL
 * role, an API-key service. Rotation drives it: create the new credential while the old stays
 * valid, verify it, revoke the old one once nothing uses it (or the new one on rollback).
 *
 * <p>Every method is idempotent, because a rotation that crashed between journaling an effect and
 * recording its result calls it again: {@link #create} with the same rotation id returns the same
 * credential instead of making a second one, and revoking a revoked credential succeeds.
 * Failures throw {@link IssuerException}; messages name the credential, never a value.
 */
public interface CredentialIssuer extends AutoCloseable {

    /** A short name for messages and the rotation record: "redis-acl", "postgres-role", ... */
    String kind();

    /**
     * Makes a new credential valid in the service, next to the current one.
     *
     * @param credential the credential's name in credpool
     * @param rotationId the rotation this belongs to: the idempotency key
     * @param proposed a fresh random value credpool generated and journaled (encrypted) before
     *     this call; issuers that choose their own value (an API-key service) ignore it and must
     *     return the same value again for the same rotation id
     * @param current the value in use now, if any (e.g. to find which alternating user is active)
     * @return the new value, as tasks will receive it (it may embed a user name, e.g. a DSN)
     */
    SecretValue create(String credential, String rotationId, SecretValue proposed, Optional<SecretValue> current);

    /** Proves that {@code value} authenticates against the service now; throws if it does not. */
    void verify(String credential, SecretValue value);

    /** Makes {@code value} stop working. Succeeds if it already does not work. */
    void revoke(String credential, SecretValue value);

    @Override
    default void close() {
    }
}
