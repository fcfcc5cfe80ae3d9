package io.credpool.config;

import java.time.Duration;
import java.util.Optional;

/**
 * What the operator says about one credential itself, under the top-level {@code credentials:}
 * mapping (as opposed to a task type's reference to it).
 *
 * @param name the credential's name
 * @param provider which configured secrets provider holds it (default: the embedded store)
 * @param rotationEvery how often the credential is rotated, if it is on a schedule
 * @param shortLived true for tokens minted for one use or a few minutes (never pool scope)
 * @param where where the entry was written, for errors
 * @param providerWhere where its provider was named (the entry itself if it names none), for errors
 * @param issuer the external service where the credential is valid, which rotation drives, if any
 * @param rotation how a rotation verifies the new version and drains the old one
 */
public record CredentialSettings(String name, Optional<String> provider, Optional<Duration> rotationEvery,
        boolean shortLived, Location where, Location providerWhere, Optional<IssuerConfig> issuer, RotationSettings rotation) {

    public CredentialSettings(String name, Optional<String> provider, Optional<Duration> rotationEvery,
            boolean shortLived, Location where, Location providerWhere, Optional<IssuerConfig> issuer) {
        this(name, provider, rotationEvery, shortLived, where, providerWhere, issuer, RotationSettings.defaults());
    }

    /** Settings of a credential without an issuer (it is rotated by hand, if at all). */
    public CredentialSettings(String name, Optional<String> provider, Optional<Duration> rotationEvery,
            boolean shortLived, Location where, Location providerWhere) {
        this(name, provider, rotationEvery, shortLived, where, providerWhere, Optional.empty());
    }
}
