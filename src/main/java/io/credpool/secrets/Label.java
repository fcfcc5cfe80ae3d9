package io.credpool.secrets;

/** Staging labels of a secret version; each names at most one version of a secret at a time. */
public enum Label {
    CURRENT, PENDING, PREVIOUS;

    public String lower() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
