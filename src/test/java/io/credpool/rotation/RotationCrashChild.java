package io.credpool.rotation;

import io.credpool.app.Credpool;
import io.credpool.app.CredpoolHome;
import io.credpool.task.Orchestrator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * A child JVM for {@link RotationCrashTest}: runs (or resumes) the rotation of 'db' and, at the
 * boundary named by its third argument ("STEP before-effect" or "STEP after-effect"), says so and
 * waits to be killed with SIGKILL. Prints "FINISHED status" when the rotation ends.
 */
public final class RotationCrashChild {
    private RotationCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        FileIssuer issuer = new FileIssuer(Path.of(args[1]));
        String haltAt = args[2];
        RotationHook hook = (id, step, after) -> {
            if ((step + " " + (after ? "after-effect" : "before-effect")).equals(haltAt)) {
                System.out.println("HALT " + step + " " + (after ? "after-effect" : "before-effect"));
                System.out.flush();
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (Credpool cp = Credpool.open(new CredpoolHome(home));
                Orchestrator orchestrator = cp.serverOrchestrator(null, new SimpleMeterRegistry())) {
            RotationRunner runner = new RotationRunner(cp.rotationJournal(), orchestrator.secrets(), name -> issuer,
                    new OrchestratorFleet(orchestrator, true), cp.audit(), orchestrator.config(), Clock.systemUTC(), Duration.ofMillis(20),
                    Duration.ofMinutes(2), hook);
            Optional<Rotation> active = cp.rotationJournal().active("db");
            Rotation r = active.isPresent() ? runner.run(active.get().id(), RotationListener.NONE)
                    : runner.start("db", Optional.empty(), RotationListener.NONE);
            System.out.println("FINISHED " + r.status());
            System.out.flush();
        }
        System.exit(0);
    }
}
