package io.credpool.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A kind of task, the credentials it may receive, and its warm pool if it has one. */
public record TaskType(
        String name,
        String description,
        SandboxChoice sandbox,
        boolean allowUnsandboxed,
        boolean network,
        Duration timeout,
        List<CredentialRef> credentials,
        Location where,
        Optional<PoolSettings> pool) {

    public TaskType {
        credentials = List.copyOf(credentials);
    }

    /** A task type without a warm pool. */
    public TaskType(String name, String description, SandboxChoice sandbox, boolean allowUnsandboxed, boolean network,
            Duration timeout, List<CredentialRef> credentials, Location where) {
        this(name, description, sandbox, allowUnsandboxed, network, timeout, credentials, where, Optional.empty());
    }

    public Optional<CredentialRef> credential(String credentialName) {
        return credentials.stream().filter(c -> c.name().equals(credentialName)).findFirst();
    }

    public List<CredentialRef> credentials(Scope scope) {
        return credentials.stream().filter(c -> c.scope() == scope).toList();
    }
}
