package io.credpool.pool;

/**
 * What a pool member holds of one credential, without the value: its version id and an
 * HMAC-SHA256 of the value under the install's fingerprint key (hex). The HMAC lets two holders be
 * compared, and a provider that reuses a version id for another value be caught, without either
 * value; under a per-install key it is useless for guessing a value offline.
 */
public record Fingerprint(String credential, String versionId, String hmac) {
    @Override
    public String toString() {
        return "Fingerprint[" + credential + "@" + versionId + ", hmac=" + hmac.substring(0, 8) + "…]";
    }
}
