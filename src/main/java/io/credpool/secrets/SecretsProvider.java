package io.credpool.secrets;

import java.util.List;
import java.util.Optional;

/**
 * The port to a secrets manager: read values by name and version, write new versions with
 * compare-and-set, and move staging labels. Adapters: the embedded store, Vault, AWS, GitHub.
 *
 * <p>Every method throws {@link SecretNotFoundException} for unknown names or versions and
 * {@link ProviderUnavailableException} when the backing service fails.
 */
public interface SecretsProvider extends AutoCloseable {

    /** A short name for messages: "embedded", "vault", ... */
    String kind();

    /** The version labelled current. */
    SecretValue current(String name);

    /** A given version, whatever its label. */
    SecretValue version(String name, String versionId);

    /** The id of the current version without reading the value, if the secret exists. */
    Optional<String> currentVersionId(String name);

    /** All versions of one secret, newest first. */
    List<SecretVersion> versions(String name);

    /** Every secret's versions, grouped by name in name order, newest first within a name. */
    List<SecretVersion> list();

    /**
     * Stores a new version with the given label.
     *
     * @param expectedCurrent when present, the write happens only if this is still the current
     *     version id ("" means: only if the secret has no current version yet); otherwise
     *     {@link VersionConflictException}
     */
    SecretVersion put(String name, byte[] value, Label label, Optional<String> expectedCurrent);

    /**
     * Makes {@code versionId} current; the old current becomes previous. Compare-and-set on the
     * current version as in {@link #put}.
     */
    SecretVersion promote(String name, String versionId, Optional<String> expectedCurrent);

    @Override
    void close();
}
