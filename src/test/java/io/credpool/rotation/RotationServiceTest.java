package io.credpool.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import io.credpool.task.Orchestrator;
import io.credpool.testing.TestHome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the server does on its own: resume what a crash left unfinished, and start rotations that are due. */
class RotationServiceTest {
    @TempDir
    Path tmp;

    private static final String CONFIG = """
            credentials:
              hourly:
                issuer: {kind: manual}
                rotation: {every: 1h, grace: 0s}
              soon:
                issuer: {kind: manual}
                rotation: {every: 1s, grace: 0s}
            task_types:
              use:
                credentials: [{name: hourly, env: A}, {name: soon, env: B}]
            """;

    private static List<Rotation> awaitDone(RotationJournal journal, String credential) throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            List<Rotation> done = journal.list().stream().filter(r -> r.credential().equals(credential)
                    && r.status() == RotationStatus.DONE).toList();
            if (!done.isEmpty()) {
                return done;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no rotation of " + credential + " finished: " + journal.list());
    }

    @Test
    void theServerResumesAnUnfinishedRotationAndStartsOnlyTheOnesThatAreDue() throws Exception {
        try (TestHome home = new TestHome(tmp, CONFIG);
                Orchestrator server = home.credpool().serverOrchestrator(null, new SimpleMeterRegistry())) {
            home.put("hourly", "hourly-value-1");
            home.put("soon", "soon-value-1");
            // A rotation that a crash left right after it was journaled.
            Rotation interrupted = home.credpool().rotationJournal().begin("hourly", "manual", Optional.of("v1"));
            Thread.sleep(1100);
            try (RotationService rotations = home.credpool().rotations(server, true, (credential, value) -> true)) {
                rotations.startBackground(Duration.ofMillis(100));
                assertThat(awaitDone(home.credpool().rotationJournal(), "hourly")).extracting(Rotation::id)
                        .containsExactly(interrupted.id());
                assertThat(awaitDone(home.credpool().rotationJournal(), "soon")).isNotEmpty();
            }
            // The hourly one was not due again: its only rotation is the resumed one.
            assertThat(home.credpool().rotationJournal().list().stream().filter(r -> r.credential().equals("hourly"))).hasSize(1);
        }
    }
}
