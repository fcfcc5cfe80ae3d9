package io.credpool.rotation;

/** A second rotation of a credential was asked for while one is unfinished. */
public final class RotationInProgressException extends RuntimeException {
    private final String rotationId;

    public RotationInProgressException(String credential, String rotationId, String step) {
        super("rotation of '" + credential + "' is already in progress (id " + rotationId + ", step " + step + "); follow it with"
                + " `credpool rotation show " + rotationId + "`, resume it with `credpool rotate " + credential
                + " --resume` or roll it back with `credpool rotate " + credential + " --abort`");
        this.rotationId = rotationId;
    }

    public String rotationId() {
        return rotationId;
    }
}
