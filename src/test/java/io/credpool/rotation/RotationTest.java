package io.credpool.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.pool.WarmPool;
import io.credpool.secrets.Label;
import io.credpool.task.Orchestrator;
import io.credpool.task.Session;
import io.credpool.task.TaskRequest;
import io.credpool.testing.CollectingSink;
import io.credpool.testing.Sandboxing;
import io.credpool.testing.TestHome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotations through a real orchestrator with bubblewrap sandboxes and warm pools, against an issuer
 * double that knows which values work: every task reports the hash of what it received, and a
 * task "fails to authenticate" if its value was revoked before it started.
 */
class RotationTest {
    private static final String CONFIG = """
            credentials:
              db:
                rotation: {every: 30d, verify_with: check, verify_command: 'test -n "$DB"', grace: 1s, on_grace_expiry: rekey}
              bad:
                rotation: {every: 30d, verify_with: check-bad, verify_command: 'exit 3'}
            task_types:
              pooled:
                pool: {size: 2, max_age: 10m}
                credentials: [{name: db, env: DB, scope: pool}]
              plain:
                credentials: [{name: db, env: DB, scope: task}]
              sess:
                credentials: [{name: db, env: DB, scope: session}]
              check:
                credentials: [{name: db, env: DB, scope: task}]
              check-bad:
                credentials: [{name: bad, env: DB, scope: task}]
            """;
    private static final List<String> HASH = List.of("sh", "-c", "printf %s \"$DB\" | sha256sum | cut -c1-64");

    @TempDir
    Path tmp;
    TestHome home;
    Orchestrator orchestrator;
    FakeIssuer issuer = new FakeIssuer();
    List<String> progress = new CopyOnWriteArrayList<>();

    record Ran(String type, String hash, Instant started) {
    }

    @BeforeEach
    void setUp() throws Exception {
        Sandboxing.requireBubblewrap();
        home = new TestHome(tmp, CONFIG);
        home.put("db", "db-password-1");
        home.put("bad", "bad-password-1");
        issuer.seed("db-password-1");
        issuer.seed("bad-password-1");
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

    private RotationRunner runner(Fleet fleet, RotationHook hook) {
        return new RotationRunner(home.credpool().rotationJournal(), orchestrator.secrets(), name -> issuer, fleet,
                home.credpool().audit(), orchestrator.config(), Clock.systemUTC(), Duration.ofMillis(20), Duration.ofMinutes(2), hook);
    }

    private RotationRunner runner() {
        return runner(new OrchestratorFleet(orchestrator, true), RotationHook.NONE);
    }

    private RotationListener listener() {
        return (id, line) -> progress.add(line);
    }

    private Ran run(String type, Optional<String> session) {
        Instant started = Instant.now();
        CollectingSink out = new CollectingSink();
        TaskRequest req = TaskRequest.of(type, HASH);
        orchestrator.run(session.map(req::inSession).orElse(req), out);
        return new Ran(type, out.stdout().trim(), started);
    }

    /** A task failed to authenticate when its value was unknown to the issuer or revoked before it started. */
    private List<Ran> failures(List<Ran> ran) {
        return ran.stream().filter(r -> !issuer.live.contains(r.hash())
                && (!issuer.revokedAt.containsKey(r.hash()) || issuer.revokedAt.get(r.hash()).isBefore(r.started()))).toList();
    }

    private List<Ran> underLoad(Fleet fleet, Runnable afterwards) throws Exception {
        Session session = orchestrator.openSession("sess");
        List<Ran> ran = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService load = Executors.newFixedThreadPool(3);
        // Per scope, how many tasks ran: each must run some after the rotation, or a test proves nothing for it.
        java.util.concurrent.atomic.AtomicIntegerArray done = new java.util.concurrent.atomic.AtomicIntegerArray(3);
        List<Future<?>> loops = List.of(
                load.submit(() -> { while (!stop.get()) { ran.add(run("pooled", Optional.empty())); done.incrementAndGet(0); } return null; }),
                load.submit(() -> { while (!stop.get()) { ran.add(run("plain", Optional.empty())); done.incrementAndGet(1); } return null; }),
                load.submit(() -> { while (!stop.get()) { ran.add(run("sess", Optional.of(session.id()))); done.incrementAndGet(2); } return null; }));
        try {
            while (ran.size() < 6) {
                Thread.sleep(10);
            }
            Rotation r = runner(fleet, RotationHook.NONE).start("db", Optional.empty(), listener());
            assertThat(r.status()).as(String.join("\n", progress)).isEqualTo(RotationStatus.DONE);
            afterwards.run();
            int[] before = {done.get(0), done.get(1), done.get(2)};
            while (done.get(0) < before[0] + 2 || done.get(1) < before[1] + 2 || done.get(2) < before[2] + 2) {
                Thread.sleep(10);
            }
        } finally {
            stop.set(true);
            for (Future<?> f : loops) {
                f.get();
            }
            load.shutdown();
        }
        return ran;
    }

    @Test
    void aFullRotationUnderLoadHasNoAuthenticationFailureAndLeavesExactlyTheNewCredentialLive() throws Exception {
        List<Ran> ran;
        String logs;
        try (io.credpool.testing.LogCapture capture = new io.credpool.testing.LogCapture()) {
            ran = underLoad(new OrchestratorFleet(orchestrator, true), () -> { });
            logs = capture.text();
        }
        String newValue = orchestrator.secrets().current("db").asEnvironmentValue();
        assertThat(logs + String.join("\n", progress)).doesNotContain(newValue).doesNotContain("db-password-1");

        Rotation r = home.credpool().rotationJournal().list().get(0);
        String newVersion = r.newVersion().orElseThrow();
        assertThat(orchestrator.secrets().currentVersionId("db")).contains(newVersion);
        String newHash = FakeIssuer.hash(orchestrator.secrets().current("db"));
        assertThat(issuer.live).contains(newHash).doesNotContain(FakeIssuer.hash("db-password-1"));
        assertThat(issuer.creates).hasValue(1);
        assertThat(failures(ran)).isEmpty();
        // Every scope was served with the new value by the end: the pool switched over, the session was re-keyed.
        for (String type : List.of("pooled", "plain", "sess")) {
            assertThat(ran.stream().filter(x -> x.type().equals(type) && x.hash().equals(newHash))).as(type).isNotEmpty();
        }
        assertThat(r.confirmation().orElseThrow()).startsWith("confirmed: no task or session received v1 after the drain");
        assertThat(r.journal()).extracting(JournalEntry::step).containsSubsequence(Step.CREATE, Step.STORE_PENDING, Step.REFRESH_POOLS,
                Step.AWAIT_POOLS, Step.VERIFY, Step.PROMOTE, Step.REVOKE_OLD, Step.CONFIRM);
        assertThat(progress).anyMatch(l -> l.startsWith("3/6 refresh pools: pools build members with v2"))
                .anyMatch(l -> l.startsWith("6/6 revoke old: v1 no longer works in fake"));
    }

    @Test
    void aBrokenOrderingThatRevokesBeforeDrainingShowsFailures() throws Exception {
        // The double skips the pool refresh and sees no holders: the old value is revoked at promotion.
        Fleet real = new OrchestratorFleet(orchestrator, true);
        Fleet broken = new Fleet() {
            public World.PoolsView pools(String c, Optional<String> p) {
                return World.PoolsView.NONE;
            }
            public void stage(String c, String v) {
            }
            public void unstage(String c) {
            }
            public World.Holders holders(String c, String v) {
                return World.Holders.NONE;
            }
            public boolean seesEveryHolder() {
                return true;
            }
            public int rekeySessions(String c, String v) {
                return 0;
            }
            public int closeSessions(String c, String v) {
                return 0;
            }
            public int verify(String t, List<String> cmd, String c, String v) {
                return real.verify(t, cmd, c, v);
            }
        };
        List<Ran> ran = underLoad(broken, () -> { });
        assertThat(failures(ran)).as("the session keeps the revoked value").isNotEmpty()
                .allMatch(x -> x.hash().equals(FakeIssuer.hash("db-password-1")));
    }

    @Test
    void aPendingMemberIsNeverLeasedBeforePromotionAndOldMembersStillAre() throws Exception {
        WarmPool pool = orchestrator.pools().pool("pooled").orElseThrow();
        String v2 = orchestrator.secrets().put("db", "db-password-2".getBytes(), Label.PENDING, Optional.of("v1")).versionId();
        pool.stagePending("db", v2);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!pool.freshWithPending("db", v2) || !pool.status().fullyFresh()) {
            assertThat(System.nanoTime()).as(pool.status().toString()).isLessThan(deadline);
            Thread.sleep(10);
        }
        for (int i = 0; i < 4; i++) {
            assertThat(run("pooled", Optional.empty()).hash()).isEqualTo(FakeIssuer.hash("db-password-1"));
        }
        orchestrator.secrets().promote("db", v2, Optional.of("v1"));
        pool.unstage("db");
        assertThat(run("pooled", Optional.empty()).hash()).isEqualTo(FakeIssuer.hash("db-password-2"));
        assertThat(pool.status().coldStarts()).as("the first task after promotion found a pending member ready").isZero();
    }

    @Test
    void aFailedVerificationRollsBackLeavingTheOldWorkingAndTheNewRevoked() {
        Rotation r = runner().start("bad", Optional.empty(), listener());

        assertThat(r.status()).isEqualTo(RotationStatus.ROLLED_BACK);
        assertThat(r.error()).contains("the verification task of type 'check-bad' with v2 exited 3");
        assertThat(orchestrator.secrets().currentVersionId("bad")).contains("v1");
        assertThat(issuer.live).contains(FakeIssuer.hash("bad-password-1"));
        assertThat(issuer.revokedAt).hasSize(1).doesNotContainKey(FakeIssuer.hash("bad-password-1"));
        assertThat(progress).contains("4/6 verify: FAILED: the verification task of type 'check-bad' with v2 exited 3",
                "rotation " + r.id() + " of 'bad' rolled back: v1 stays current, v2 is revoked and marked failed");
    }

    @Test
    void anIssuerDownMidRotationPausesWithAClearErrorAndResumesWhenItIsBack() {
        RotationHook downAfterPromote = (id, step, after) -> {
            if (step == Step.PROMOTE && after) {
                issuer.unavailable = true;
            }
        };
        Rotation r = runner(new OrchestratorFleet(orchestrator, true), downAfterPromote).start("db", Optional.empty(), listener());

        assertThat(r.status()).isEqualTo(RotationStatus.PAUSED);
        assertThat(r.error()).hasValue("the issuer (fake) of 'db' is unavailable: fake issuer of 'db' is down; rotation " + r.id()
                + " is paused at step revoke_old and resumes where it stopped with `credpool rotate db --resume` (the server"
                + " retries on its own)");
        assertThat(issuer.live).contains(FakeIssuer.hash("db-password-1"));

        issuer.unavailable = false;
        Rotation resumed = runner().run(r.id(), listener());
        assertThat(resumed.status()).isEqualTo(RotationStatus.DONE);
        assertThat(issuer.live).hasSize(2).doesNotContain(FakeIssuer.hash("db-password-1")); // bad's and db's new one
        assertThat(issuer.creates).hasValue(1);
    }

    @Test
    void aSecondRotationOfTheSameCredentialIsRefusedWithTheRunningOnesIdAndStep() {
        RotationRunner runner = runner();
        Rotation first = runner.begin("db", Optional.empty());
        assertThatThrownBy(() -> runner.begin("db", Optional.empty())).isInstanceOf(RotationInProgressException.class)
                .hasMessageStartingWith("rotation of 'db' is already in progress (id " + first.id() + ", step not started)");
    }

    @Test
    void abortBeforePromotionRevokesTheNewOneAndAfterPromotionIsRefused() {
        RotationHook crashBeforeStore = (id, step, after) -> {
            if (step == Step.STORE_PENDING && !after) {
                throw new IllegalStateException("simulated crash");
            }
        };
        assertThatThrownBy(() -> runner(new OrchestratorFleet(orchestrator, true), crashBeforeStore).start("db", Optional.empty(),
                listener())).hasMessage("simulated crash");
        Rotation aborted = runner().abort("db", listener());
        assertThat(aborted.status()).isEqualTo(RotationStatus.ROLLED_BACK);
        assertThat(issuer.live).contains(FakeIssuer.hash("db-password-1")).hasSize(2);
        assertThat(issuer.revokedAt).hasSize(1);

        RotationHook crashAfterPromote = (id, step, after) -> {
            if (step == Step.PROMOTE && after) {
                throw new IllegalStateException("simulated crash");
            }
        };
        assertThatThrownBy(() -> runner(new OrchestratorFleet(orchestrator, true), crashAfterPromote).start("db", Optional.empty(),
                listener())).hasMessage("simulated crash");
        Rotation r = home.credpool().rotationJournal().active("db").orElseThrow();
        assertThatThrownBy(() -> runner().abort("db", listener())).isInstanceOf(RotationException.class)
                .hasMessageStartingWith("rotation " + r.id() + " of 'db' cannot be aborted: the new version v2 was promoted");
        assertThat(runner().run(r.id(), listener()).status()).isEqualTo(RotationStatus.DONE);
    }
}
