package io.credpool.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.credpool.config.ConfigLoader;
import io.credpool.config.CredpoolConfig;
import io.credpool.secrets.Label;
import io.credpool.secrets.NotifyingSecretsProvider;
import io.credpool.secrets.SecretsProvider;
import io.credpool.testing.CollectingSink;
import io.credpool.testing.TestHome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool's own logic on an instant fake backend; {@link WarmPoolBubblewrapTest} does it for real. */
class WarmPoolTest {
    private static final String CONFIG = """
            task_types:
              build:
                pool: {size: 8, max_age: 1h}
                credentials:
                  - {name: npm-token, env: NPM_TOKEN, scope: pool}
                  - {name: github-token, env: GITHUB_TOKEN, scope: task}
            """;

    @TempDir
    Path tmp;
    TestHome home;
    SecretsProvider raw;
    NotifyingSecretsProvider secrets;
    FakeBackend backend = new FakeBackend();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    WarmPools pools;

    @BeforeEach
    void setUp() throws Exception {
        home = new TestHome(tmp, CONFIG);
        raw = home.credpool().secrets();
        secrets = new NotifyingSecretsProvider(raw);
        put(secrets, "npm-token", "npm-value-1");
    }

    @AfterEach
    void tearDown() {
        if (pools != null) {
            pools.close();
        }
        home.close();
    }

    private WarmPool start(String config, PoolTuning tuning, Clock clock) {
        CredpoolConfig c = ConfigLoader.parse(tmp.resolve("credpool.yaml"), config);
        pools = WarmPools.start(c, t -> backend, secrets, new Fingerprinter(new byte[32]), metrics, tuning, clock);
        return pools.pool("build").orElseThrow();
    }

    private WarmPool start() {
        return start(CONFIG, PoolTuning.defaults().withTick(Duration.ofMillis(20)), Clock.systemUTC());
    }

    private static String put(SecretsProvider p, String name, String value) {
        return p.put(name, value.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty()).versionId();
    }

    /** Waits for a condition the background must reach; the bound is generous and is not what is tested. */
    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("never happened: " + what);
            }
            Thread.sleep(5);
        }
    }

    private static Lease leaseWhenReady(WarmPool pool) throws InterruptedException {
        for (;;) {
            Optional<Lease> l = pool.lease();
            if (l.isPresent()) {
                return l.get();
            }
            Thread.sleep(1);
        }
    }

    private static FakeBackend.FakeSandbox fake(Lease lease) {
        return (FakeBackend.FakeSandbox) lease.sandbox();
    }

    @Test
    void thePoolFillsToItsSizeWithThePoolScopeCredentialsBakedInAndNothingElse() throws Exception {
        WarmPool pool = start();
        eventually("8 fresh members", () -> pool.status().fresh() == 8);
        assertThat(backend.created).hasSize(8).allSatisfy(s -> assertThat(s.bakedVersions).isEqualTo(Map.of("NPM_TOKEN", "v1")));
        PoolStatus s = pool.status();
        assertThat(s.baked()).isEqualTo(Map.of("npm-token", Map.of("v1", 8)));
        assertThat(s.current()).isEqualTo(Map.of("npm-token", "v1"));
        assertThat(s.fullyFresh()).isTrue();
    }

    @Test
    void aLeaseCarriesTheBakedVersionAndAFingerprintOfTheValueAndIsDestroyedAfterUse() throws Exception {
        WarmPool pool = start();
        Lease lease = leaseWhenReady(pool);
        Fingerprint f = lease.fingerprints().get("npm-token");
        assertThat(f.versionId()).isEqualTo("v1");
        try (var current = raw.current("npm-token")) {
            assertThat(f).isEqualTo(new Fingerprinter(new byte[32]).of(current));
        }
        assertThat(f.toString()).doesNotContain("npm-value-1").doesNotContain(f.hmac());
        assertThat(lease.values().get("npm-token").version()).isEqualTo("v1");
        lease.sandbox().run(List.of("true"), Map.of(), new CollectingSink(), Duration.ofSeconds(1));
        lease.close();
        eventually("the used member is destroyed and its values wiped",
                () -> fake(lease).closed.get() && lease.values().get("npm-token").isWiped());
        assertThat(pool.status().leases()).isEqualTo(1);
    }

    @Test
    void aThousandLeasesFromEightThreadsUseEveryMemberExactlyOnce() throws Exception {
        WarmPool pool = start();
        Set<String> leased = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        AtomicInteger remaining = new AtomicInteger(1000);
        for (int t = 0; t < 8; t++) {
            done.add(threads.submit(() -> {
                while (remaining.getAndDecrement() > 0) {
                    try (Lease lease = leaseWhenReady(pool)) {
                        if (!leased.add(lease.sandbox().id())) {
                            duplicates.incrementAndGet();
                        }
                        lease.sandbox().run(List.of("true"), Map.of(), new CollectingSink(), Duration.ofSeconds(1));
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        threads.shutdown();
        assertThat(duplicates).hasValue(0);
        assertThat(leased).hasSize(1000);
        assertThat(pool.status().leases()).isEqualTo(1000);
        // Every sandbox that ever ran, ran exactly once (run() throws on a second command).
        assertThat(backend.created).filteredOn(s -> s.runs.get() > 0).hasSize(1000)
                .allSatisfy(s -> assertThat(s.runs).hasValue(1));
    }

    @Test
    void afterANewVersionNoLeaseEverGetsTheOldOneWhileLeasesAndPutsRace() throws Exception {
        WarmPool pool = start();
        AtomicReference<Integer> lastPut = new AtomicReference<>(1);
        AtomicInteger stale = new AtomicInteger();
        AtomicInteger warm = new AtomicInteger();
        AtomicInteger remaining = new AtomicInteger(600);
        ExecutorService threads = Executors.newFixedThreadPool(7);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            done.add(threads.submit(() -> {
                while (remaining.getAndDecrement() > 0) {
                    int before = Integer.parseInt(raw.currentVersionId("npm-token").orElseThrow().substring(1));
                    Optional<Lease> lease = pool.lease();
                    int after = Integer.parseInt(raw.currentVersionId("npm-token").orElseThrow().substring(1));
                    if (lease.isEmpty()) {
                        Thread.sleep(1);
                        continue;
                    }
                    try (Lease l = lease.get()) {
                        int got = Integer.parseInt(fake(l).bakedVersions.get("NPM_TOKEN").substring(1));
                        // Versions only grow here, so "current during the lease" is [before, after].
                        if (got < before || got > after) {
                            stale.incrementAndGet();
                        }
                        warm.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        // The writer: half the puts go through this process (the pool is told), half around it
        // (as `credpool secret put` from another process would: the pool is not told).
        done.add(threads.submit(() -> {
            for (int i = 2; i <= 40 && remaining.get() > 0; i++) {
                put(i % 2 == 0 ? secrets : raw, "npm-token", "npm-value-" + i);
                lastPut.set(i);
                Thread.sleep(3);
            }
            return null;
        }));
        for (Future<?> f : done) {
            f.get();
        }
        threads.shutdown();
        assertThat(stale).as("leases that received a version older than the one current when they leased").hasValue(0);
        assertThat(warm.get()).isPositive();
        assertThat(pool.status().staleDiscards()).isPositive();
    }

    @Test
    void staleMembersAreNeverLeasedEvenWhenThePoolWasNotToldOfTheNewVersion() throws Exception {
        // The maintainer never runs again after the fill and trusts its cache for an hour:
        // only the lease-time check stands between a task and the old version.
        PoolTuning lazy = new PoolTuning(Duration.ofHours(1), Duration.ofHours(1), Duration.ofMillis(250), Duration.ofSeconds(60), 8, 0);
        WarmPool pool = start(CONFIG, lazy, Clock.systemUTC());
        pool.refresh(); // a kick: fill now
        eventually("8 ready", () -> pool.status().fresh() == 8);
        put(raw, "npm-token", "npm-value-2");

        Optional<Lease> lease = pool.lease();

        assertThat(lease).isEmpty();
        PoolStatus s = pool.status();
        assertThat(s.staleDiscards()).isEqualTo(8);
        assertThat(s.coldStarts()).isEqualTo(1);
        assertThat(s.leases()).isZero();
        eventually("rebuilt with v2", () -> pool.status().fresh() == 8);
        assertThat(pool.status().baked()).isEqualTo(Map.of("npm-token", Map.of("v2", 8)));
        assertThat(leaseWhenReady(pool).values().get("npm-token").version()).isEqualTo("v2");
    }

    @Test
    void aPutThroughThisProcessRebuildsThePoolWithoutWaitingForALease() throws Exception {
        WarmPool pool = start();
        eventually("8 fresh", () -> pool.status().fresh() == 8);
        put(secrets, "npm-token", "npm-value-2");
        eventually("rebuilt with v2", () -> pool.status().baked().equals(Map.of("npm-token", Map.of("v2", 8))));
        assertThat(pool.status().staleDiscards()).isEqualTo(8);
        assertThat(pool.status().coldStarts()).isZero();
    }

    @Test
    void aMemberThatDiesWhileWaitingIsReplaced() throws Exception {
        WarmPool pool = start();
        eventually("8 fresh", () -> pool.status().fresh() == 8);
        FakeBackend.FakeSandbox victim = backend.created.peek();
        victim.dead.set(true);
        eventually("the dead member is replaced", () -> pool.status().died() == 1 && pool.status().fresh() == 8);
        assertThat(victim.closed).isTrue();
        assertThat(backend.created).hasSize(9);
        for (int i = 0; i < 8; i++) {
            assertThat(leaseWhenReady(pool).sandbox()).isNotSameAs(victim);
        }
    }

    @Test
    void membersAreReplacedWhenTheyReachTheirMaxAge() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        WarmPool pool = start(CONFIG, PoolTuning.defaults().withTick(Duration.ofMillis(20)), clock);
        eventually("8 fresh", () -> pool.status().fresh() == 8);
        clock.now.set(clock.now.get().plus(Duration.ofHours(1)));
        eventually("all 8 expired and replaced", () -> pool.status().expired() == 8 && pool.status().fresh() == 8);
        assertThat(backend.created).hasSize(16);
    }

    @Test
    void aBackendThatAlwaysFailsBacksOffAndReportsWhy() throws Exception {
        backend.failing.set(true);
        WarmPool pool = start(CONFIG, PoolTuning.defaults().withTick(Duration.ofMillis(5))
                .withBackoff(Duration.ofMillis(50), Duration.ofSeconds(10)), Clock.systemUTC());
        eventually("four failures", () -> pool.status().consecutiveFailures() >= 4);
        Thread.sleep(300);
        PoolStatus s = pool.status();
        // With 5 ms ticks a hot loop would have tried ~60 times by now; backoff waits 50, 100, 200, 400 ms...
        assertThat(backend.attempts.get()).isLessThan(12);
        assertThat(s.buildFailures()).isEqualTo(backend.attempts.get());
        assertThat(s.lastError()).contains("fake backend: cannot start sandbox #" + backend.attempts.get());
        assertThat(s.fresh()).isZero();
        assertThat(pool.lease()).isEmpty();

        backend.failing.set(false);
        eventually("recovers and fills", () -> pool.status().fresh() == 8);
        assertThat(pool.status().consecutiveFailures()).isZero();
        assertThat(pool.status().lastError()).isEmpty();
    }

    @Test
    void theBackoffDoublesUpToItsLimit() {
        PoolTuning t = PoolTuning.defaults().withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));
        assertThat(List.of(t.backoff(0), t.backoff(1), t.backoff(2), t.backoff(4), t.backoff(5), t.backoff(99)))
                .containsExactly(Duration.ZERO, Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(800),
                        Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    @Test
    void refreshRebuildsEveryMemberAndTheOldOnesAreNotLeased() throws Exception {
        WarmPool pool = start();
        eventually("8 fresh", () -> pool.status().fresh() == 8);
        List<FakeBackend.FakeSandbox> old = List.copyOf(backend.created);
        long gen = pool.refresh();
        assertThat(pool.status().fullyFresh()).isFalse();
        eventually("fully fresh again", () -> pool.status().fullyFresh() && pool.status().generation() == gen);
        assertThat(old).allSatisfy(s -> assertThat(s.runs).hasValue(0));
        eventually("old ones destroyed", () -> old.stream().allMatch(s -> s.closed.get()));
        assertThat(old).doesNotContain((FakeBackend.FakeSandbox) leaseWhenReady(pool).sandbox());
    }

    @Test
    void aPoolWithoutPoolScopeCredentialsStillWarmsSandboxes() throws Exception {
        WarmPool pool = start("task_types:\n  build:\n    pool: {size: 2}\n", PoolTuning.defaults().withTick(Duration.ofMillis(20)),
                Clock.systemUTC());
        try (Lease lease = leaseWhenReady(pool)) {
            assertThat(lease.values()).isEmpty();
            assertThat(fake(lease).bakedVersions).isEmpty();
        }
    }

    @Test
    void closingThePoolDestroysWaitingMembers() throws Exception {
        WarmPool pool = start();
        eventually("8 fresh", () -> pool.status().fresh() == 8);
        Lease held = leaseWhenReady(pool);
        pools.close();
        assertThat(backend.created).filteredOn(s -> s != held.sandbox()).allSatisfy(s -> assertThat(s.closed).isTrue());
        assertThat(fake(held).closed).isFalse();
        held.close();
        eventually("the held member is destroyed once its task is done", () -> fake(held).closed.get());
        pools = null;
    }

    @Test
    void metricsCountLeasesColdStartsAndMembersByStateWithoutValues() throws Exception {
        WarmPool pool = start();
        eventually("8 fresh", () -> pool.status().fresh() == 8);
        leaseWhenReady(pool).close();
        put(raw, "npm-token", "npm-value-2");
        pool.lease().ifPresent(Lease::close);
        assertThat(metrics.get("credpool.pool.lease").tag("type", "build").timer().count()).isEqualTo(1);
        assertThat(metrics.get("credpool.pool.discards").tag("reason", "stale_credential").counter().count()).isPositive();
        assertThat(metrics.get("credpool.pool.members").tag("state", "ready").gauge()).isNotNull();
        assertThat(metrics.getMeters()).allSatisfy(m -> assertThat(m.getId().toString()).doesNotContain("npm-value"));
    }

    private static final class MutableClock extends Clock {
        final AtomicReference<Instant> now;

        MutableClock(Instant start) {
            now = new AtomicReference<>(start);
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }
}
