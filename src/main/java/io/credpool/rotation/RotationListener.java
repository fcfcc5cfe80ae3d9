package io.credpool.rotation;

/** Receives one progress line per step of a rotation (the CLI prints them); never a value. */
@FunctionalInterface
public interface RotationListener {
    RotationListener NONE = (rotation, line) -> { };

    void progress(String rotationId, String line);
}
