package io.credpool.secrets;

import java.time.Instant;
import java.util.Set;

/** What is known about one version of a secret, without its value. */
public record SecretVersion(String name, String versionId, Set<Label> labels, Instant created) {
    public SecretVersion {
        labels = Set.copyOf(labels);
    }

    public boolean isCurrent() {
        return labels.contains(Label.CURRENT);
    }
}
