package io.credpool.rotation;

/**
 * Called at every boundary between journaling and effect: after a step's STARTED row is written
 * and before its effect ({@code afterEffect} false), and after the effect before its result row
 * ({@code afterEffect} true). Tests stop a process here to crash it at each boundary.
 */
@FunctionalInterface
public interface RotationHook {
    RotationHook NONE = (rotationId, step, afterEffect) -> { };

    void at(String rotationId, Step step, boolean afterEffect);
}
