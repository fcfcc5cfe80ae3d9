package io.credpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.credpool.sandbox.microvm.ImageBuilder;
import io.credpool.task.Orchestrator;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskResult;
import io.credpool.testing.CollectingSink;
import io.credpool.testing.MicroVms;
import io.credpool.testing.TestHome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The warm pool with microVM members restored from snapshot templates, through the orchestrator. */
class WarmPoolMicroVmTest {
    private static final String CONFIG = """
            task_types:
              build:
                sandbox: microvm
                pool: {size: 2, max_age: 10m}
                credentials:
                  - {name: npm-token, env: NPM_TOKEN, scope: pool}
            """;
    private static final List<String> HASH_IT = List.of("sh", "-c", "printf %s \"$NPM_TOKEN\" | sha256sum | cut -c1-64");

    @TempDir
    Path tmp;
    TestHome home;
    Orchestrator orchestrator;

    @BeforeEach
    void setUp() throws Exception {
        MicroVms.requireQemu();
        home = new TestHome(tmp, CONFIG);
        ImageBuilder.forHost().build(home.home().imagesDir());
        home.put("npm-token", "npm-vm-value-1");
        orchestrator = home.credpool().serverOrchestrator(null, new SimpleMeterRegistry());
    }

    @AfterEach
    void tearDown() {
        if (orchestrator != null) {
            orchestrator.close();
        }
        if (home != null) {
            home.close();
        }
    }

    private WarmPool pool() {
        return orchestrator.pools().pool("build").orElseThrow();
    }

    private void awaitFresh() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        while (!pool().status().fullyFresh()) {
            assertThat(System.nanoTime()).as("pool never became fully fresh: " + pool().status()).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    private String runHash() {
        CollectingSink out = new CollectingSink();
        TaskResult r = orchestrator.run(TaskRequest.of("build", HASH_IT), out);
        assertThat(r.exitCode()).as(out.stderr()).isZero();
        assertThat(home.credpool().audit().forTask(r.taskId()).get(0).detail()).startsWith("sandbox microvm, warm member m-");
        return out.stdout().strip();
    }

    @Test
    void warmMicroVmMembersHoldTheCurrentVersionBeforeAndAfterARotation() throws Exception {
        awaitFresh();
        assertThat(pool().status().backend()).isEqualTo("microvm");
        assertThat(runHash()).isEqualTo(sha256("npm-vm-value-1"));

        home.put("npm-token", "npm-vm-value-2");
        awaitFresh();
        // The v1 template is stale: members are rebuilt from a new template, never restored from the old one.
        assertThat(runHash()).isEqualTo(sha256("npm-vm-value-2"));
        assertThat(pool().status().leases()).isEqualTo(2);
    }
}
