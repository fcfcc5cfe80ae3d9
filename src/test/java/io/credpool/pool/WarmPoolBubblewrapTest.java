package io.credpool.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.credpool.audit.AuditEventKind;
import io.credpool.audit.AuditRecord;
import io.credpool.task.Orchestrator;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskResult;
import io.credpool.testing.CollectingSink;
import io.credpool.testing.Sandboxing;
import io.credpool.testing.TestHome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool through the orchestrator with real bubblewrap members: what the task sees inside. */
class WarmPoolBubblewrapTest {
    private static final String CONFIG = """
            credentials:
              npm-token: {rotation: {every: 30d}}
            task_types:
              build:
                pool: {size: 2, max_age: 10m}
                credentials:
                  - {name: npm-token, env: NPM_TOKEN, scope: pool}
                  - {name: github-token, env: GITHUB_TOKEN, scope: task}
            """;
    /** The task reports a hash of what it holds, never the value (which the redactor would hide anyway). */
    private static final List<String> HASH_IT = List.of("sh", "-c", "printf %s \"$NPM_TOKEN\" | sha256sum | cut -c1-64");

    @TempDir
    Path tmp;
    TestHome home;
    Orchestrator orchestrator;

    @BeforeEach
    void setUp() throws Exception {
        Sandboxing.requireBubblewrap();
        home = new TestHome(tmp, CONFIG);
        home.put("npm-token", "npm-value-1");
        home.put("github-token", "ghp_task-scope-value");
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
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!pool().status().fullyFresh()) {
            assertThat(System.nanoTime()).as("pool never became fully fresh: " + pool().status()).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aWarmTaskGetsTheBakedValueAndItsTaskScopeValueOnlyAtLease() throws Exception {
        awaitFresh();
        CollectingSink out = new CollectingSink();
        TaskResult r = orchestrator.run(TaskRequest.of("build", List.of("sh", "-c",
                "printf %s \"$NPM_TOKEN\" | sha256sum | cut -c1-64; test \"$GITHUB_TOKEN\" = ghp_task-scope-value && echo task-ok")), out);

        assertThat(r.exitCode()).isZero();
        assertThat(out.stdout()).isEqualTo(sha256("npm-value-1") + "\ntask-ok\n");
        assertThat(pool().status().leases()).isEqualTo(1);
        List<AuditRecord> audit = home.credpool().audit().forTask(r.taskId());
        assertThat(audit.get(0).detail()).startsWith("sandbox bubblewrap, warm member m-");
        assertThat(audit).filteredOn(a -> a.kind() == AuditEventKind.CREDENTIAL_RECEIVED && "npm-token".equals(a.credential()))
                .extracting(AuditRecord::versionId).containsExactly("v1");
    }

    @Test
    void aTaskWithAWorkspaceStartsColdAndIsCounted() throws Exception {
        awaitFresh();
        Path ws = Files.createDirectories(tmp.resolve("ws"));
        CollectingSink out = new CollectingSink();
        TaskResult r = orchestrator.run(TaskRequest.of("build", HASH_IT).inWorkspace(ws), out);
        assertThat(r.exitCode()).isZero();
        assertThat(out.stdout()).isEqualTo(sha256("npm-value-1") + "\n");
        assertThat(pool().status().coldStarts()).isEqualTo(1);
        assertThat(pool().status().leases()).isZero();
        assertThat(home.credpool().audit().forTask(r.taskId()).get(0).detail()).startsWith("sandbox bubblewrap, cold start; ");
    }

    @Test
    void afterSecretPutNoTaskEverSeesTheOldValueWhileTasksRunFromSeveralThreads() throws Exception {
        awaitFresh();
        Map<Integer, String> hashes = new ConcurrentHashMap<>();
        hashes.put(1, sha256("npm-value-1"));
        List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            done.add(threads.submit(() -> {
                for (int i = 0; i < 12; i++) {
                    int before = version();
                    CollectingSink out = new CollectingSink();
                    TaskResult r = orchestrator.run(TaskRequest.of("build", HASH_IT), out);
                    int after = version();
                    int got = Integer.parseInt(r.received().stream().filter(c -> c.name().equals("npm-token")).findFirst()
                            .orElseThrow().version().substring(1));
                    String seen = out.stdout().strip();
                    if (got < before || got > after) {
                        violations.add(r.taskId() + " received v" + got + " but v" + before + " was current when it started");
                    }
                    if (!seen.equals(hashes.get(got))) {
                        violations.add(r.taskId() + " holds a value that is not v" + got);
                    }
                }
                return null;
            }));
        }
        done.add(threads.submit(() -> {
            for (int v = 2; v <= 6; v++) {
                hashes.put(v, sha256("npm-value-" + v));
                home.put("npm-token", "npm-value-" + v);
                Thread.sleep(40);
            }
            writing.set(false);
            return null;
        }));
        for (Future<?> f : done) {
            f.get();
        }
        threads.shutdown();
        assertThat(violations).isEmpty();
        assertThat(pool().status().leases()).isPositive();
    }

    private int version() {
        return Integer.parseInt(home.credpool().secrets().currentVersionId("npm-token").orElseThrow().substring(1));
    }
}
