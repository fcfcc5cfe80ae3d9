package io.credpool.secrets.vault;

/**
 * How credpool logs in to Vault. The secrets here come from the environment or a file (never
 * from credpool.yaml) and are never printed.
 */
public sealed interface VaultAuth {

    /** A Vault token given as is, e.g. $VAULT_TOKEN; renewed while renewable. */
    record Token(String token) implements VaultAuth {
        @Override
        public String toString() {
            return "Token[****]";
        }
    }

    /** AppRole login at {@code /v1/auth/{mount}/login}; credpool logs in again when the token lapses. */
    record AppRole(String mount, String roleId, String secretId) implements VaultAuth {
        @Override
        public String toString() {
            return "AppRole[mount=" + mount + ", roleId=" + roleId + ", secretId=****]";
        }
    }
}
