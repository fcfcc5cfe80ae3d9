package io.credpool.config;

import java.util.Locale;

/** Which sandbox backend a task type asks for. */
public enum SandboxChoice {
    /** The strongest one this host has: bubblewrap, else unshare. */
    AUTO,
    BUBBLEWRAP,
    UNSHARE,
    /** No isolation at all; only when the task type sets allow_unsandboxed. */
    UNSANDBOXED,
    /**
     * A QEMU microVM with its own kernel (KVM where it works, TCG otherwise); needs
     * `credpool image build`. Never chosen by auto: under TCG it starts much slower than bubblewrap.
     */
    MICROVM;

    public String lower() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SandboxChoice parse(String s) {
        for (SandboxChoice c : values()) {
            if (c.lower().equals(s)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown sandbox '" + s + "'; expected one of auto, bubblewrap, unshare, unsandboxed, microvm");
    }
}
