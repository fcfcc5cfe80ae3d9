package io.credpool.sandbox;

import io.credpool.secrets.SecretValue;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What a sandbox is made of.
 *
 * @param label a name for logs and process titles (task type), never a value
 * @param workspace host directory copied into the sandbox's tmpfs workspace, if any
 * @param network whether the sandbox shares the host's network
 * @param bakedEnv variables injected at creation (pool scope), by variable name
 */
public record SandboxSpec(String label, Optional<Path> workspace, boolean network, Map<String, SecretValue> bakedEnv) {
    public SandboxSpec {
        bakedEnv = Map.copyOf(bakedEnv);
    }
}
