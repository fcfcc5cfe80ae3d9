package io.credpool.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import io.credpool.task.Orchestrator;
import io.credpool.task.TaskRequest;
import io.credpool.testing.CollectingSink;
import io.credpool.testing.Sandboxing;
import io.credpool.testing.TestHome;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL at every boundary between journal and effect: a child JVM runs the rotation and is killed
 * at boundary N (N = 1, 2, ... until the rotation finishes before N); a fresh runner in the test's JVM resumes it. At
 * the end: the rotation is done, exactly one live credential (the new current one), the old one
 * revoked, one create per rotation (no orphan), and tasks authenticate.
 */
class RotationCrashTest {
    private static final String CONFIG = """
            credentials:
              db:
                rotation: {every: 30d, verify_with: check, verify_command: 'test -n "$DB"', grace: 1s}
            task_types:
              pooled:
                pool: {size: 1, max_age: 10m}
                credentials: [{name: db, env: DB, scope: pool}]
              check:
                credentials: [{name: db, env: DB, scope: task}]
            """;

    @TempDir
    Path tmp;

    private record Child(String lastLine, boolean finished) {
    }

    /** Every boundary of a rotation whose credential is baked into a pool and verified by a task. */
    private static final List<String> BOUNDARIES = List.of("CREATE before-effect", "CREATE after-effect",
            "STORE_PENDING before-effect", "STORE_PENDING after-effect", "REFRESH_POOLS before-effect", "REFRESH_POOLS after-effect",
            "AWAIT_POOLS before-effect", "VERIFY before-effect", "VERIFY after-effect", "PROMOTE before-effect",
            "PROMOTE after-effect", "REVOKE_OLD before-effect", "REVOKE_OLD after-effect", "CONFIRM before-effect",
            "CONFIRM after-effect");

    private Child child(Path home, Path issuer, String haltAt) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), RotationCrashChild.class.getName(),
                home.toString(), issuer.toString(), String.valueOf(haltAt)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("HALT ")) {
                    // SIGKILL: no shutdown hook, no finally, exactly like kill -9.
                    p.destroyForcibly();
                    p.waitFor(30, TimeUnit.SECONDS);
                    return new Child(line, false);
                }
                if (line.startsWith("FINISHED ")) {
                    // Its journal is complete; closing its pools would only take time.
                    p.destroyForcibly();
                    return new Child(line, true);
                }
            }
        } finally {
            p.destroyForcibly();
        }
        throw new AssertionError("the child ended without a HALT or FINISHED line (exit " + p.waitFor() + ")");
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void aRotationKilledAtEveryBoundaryResumesToExactlyOneLiveNewCredential() throws Exception {
        Sandboxing.requireBubblewrap();
        List<String> killedAt = new ArrayList<>();
        for (int n = 0; n < BOUNDARIES.size(); n++) {
            Path dir = tmp.resolve("n" + n);
            Path issuerDir = dir.resolve("issuer");
            FileIssuer issuer = new FileIssuer(issuerDir);
            Path homeDir;
            try (TestHome home = new TestHome(dir, CONFIG)) {
                home.put("db", "db-password-1");
                homeDir = home.home().root();
            }
            issuer.seed("db-password-1");

            Child first = child(homeDir, issuerDir, BOUNDARIES.get(n));
            assertThat(first.finished()).as("the rotation passes " + BOUNDARIES.get(n)).isFalse();
            killedAt.add(first.lastLine().substring(5));
            try (TestHome home = TestHome.reopen(dir);
                    Orchestrator o = home.credpool().serverOrchestrator(null, new SimpleMeterRegistry())) {
                // A fresh runner in this process resumes what the killed one left.
                RotationRunner runner = new RotationRunner(home.credpool().rotationJournal(), o.secrets(), name -> issuer,
                        new OrchestratorFleet(o, true), home.credpool().audit(), o.config(), Clock.systemUTC(), Duration.ofMillis(20),
                        Duration.ofMinutes(2), RotationHook.NONE);
                Rotation unfinished = home.credpool().rotationJournal().active("db").orElseThrow();
                assertThat(runner.run(unfinished.id(), RotationListener.NONE).status()).as("resume after a kill at " + first.lastLine())
                        .isEqualTo(RotationStatus.DONE);
                String current = FakeIssuer.hash(o.secrets().current("db"));
                // The journal held the new value while the rotation ran: only ever as ciphertext.
                byte[] plain = o.secrets().current("db").bytes();
                try (var files = java.nio.file.Files.walk(home.home().stateDir())) {
                    for (Path f : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                        assertThat(indexOf(java.nio.file.Files.readAllBytes(f), plain)).as("plaintext in " + f).isNegative();
                    }
                }
                assertThat(issuer.live()).as("killed at " + first.lastLine()).containsExactly(current);
                assertThat(issuer.revoked()).as("killed at " + first.lastLine()).containsExactly(FakeIssuer.hash("db-password-1"));
                assertThat(issuer.creates()).as("one rotation, no orphan").hasSize(1);
                assertThat(home.credpool().rotationJournal().list()).singleElement()
                        .satisfies(r -> assertThat(r.status()).isEqualTo(RotationStatus.DONE));
                for (String type : List.of("pooled", "check")) {
                    CollectingSink sink = new CollectingSink();
                    o.run(TaskRequest.of(type, List.of("sh", "-c", "printf %s \"$DB\" | sha256sum | cut -c1-64")), sink);
                    assertThat(sink.stdout().trim()).as(type + " authenticates after the resume").isEqualTo(current);
                }
            }
        }
        assertThat(killedAt).isEqualTo(BOUNDARIES);
    }
}
