package io.credpool.config;

import java.util.Optional;

/**
 * What the top-level {@code credentials:} section says about one credential, by name. Today: which
 * provider holds it; other settings (rotation) belong here too.
 */
public record CredentialSettings(String name, Optional<String> provider, Location where) {
}
