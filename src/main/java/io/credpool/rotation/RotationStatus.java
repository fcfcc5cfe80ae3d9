package io.credpool.rotation;

/** The state of a rotation as a whole; terminal ones release the per-credential lock. */
public enum RotationStatus {
    RUNNING, PAUSED, DONE, ROLLED_BACK, FAILED;

    public boolean terminal() {
        return switch (this) {
            case RUNNING, PAUSED -> false;
            case DONE, ROLLED_BACK, FAILED -> true;
        };
    }

    public String lower() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
