package io.credpool.secrets;

/** A compare-and-set write found another version current than the one the writer expected. */
public final class VersionConflictException extends SecretsException {
    public VersionConflictException(String credential, String expected, String actual) {
        super(credential, "secret '" + credential + "' changed under you: expected current version "
                + (expected == null ? "(none)" : expected) + " but it is "
                + (actual == null ? "(none)" : actual) + "; read it again and retry");
    }
}
