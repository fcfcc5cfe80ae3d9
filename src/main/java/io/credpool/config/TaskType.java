package io.credpool.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** A kind of task and the credentials it may receive. */
public record TaskType(
        String name,
        String description,
        SandboxChoice sandbox,
        boolean allowUnsandboxed,
        boolean network,
        Duration timeout,
        List<CredentialRef> credentials,
        Location where) {

    public TaskType {
        credentials = List.copyOf(credentials);
    }

    public Optional<CredentialRef> credential(String credentialName) {
        return credentials.stream().filter(c -> c.name().equals(credentialName)).findFirst();
    }

    public List<CredentialRef> credentials(Scope scope) {
        return credentials.stream().filter(c -> c.scope() == scope).toList();
    }
}
