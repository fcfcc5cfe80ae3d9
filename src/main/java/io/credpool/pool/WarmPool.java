package io.credpool.pool;

import io.credpool.config.CredentialRef;
import io.credpool.config.PoolSettings;
import io.credpool.config.Scope;
import io.credpool.config.TaskType;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxBackend;
import io.credpool.sandbox.SandboxSpec;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretsException;
import io.credpool.secrets.SecretsProvider;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code size} started sandboxes of one task type ready, with the type's pool-scope
 * credentials baked in, and leases each to exactly one task. A member is leased only if every
 * credential it holds is at the version the provider calls current at that moment; otherwise it is
 * discarded and, like expired and dead members, replaced in the background. With no fresh member
 * the caller starts cold. Members come from a {@link SandboxBackend}; the pool does not know which.
 */
public final class WarmPool implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);

    private final TaskType type;
    private final PoolSettings settings;
    private final List<CredentialRef> baked;
    private final List<String> bakedNames;
    private final SandboxBackend backend;
    private final SecretsProvider secrets;
    private final CurrentVersions versions;
    private final Fingerprinter fingerprinter;
    private final PoolTuning tuning;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    private final List<Member> members = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService maintainer;
    private final ExecutorService workers;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean tickQueued = new AtomicBoolean();
    private final AtomicLong generation = new AtomicLong(1);
    private final AtomicInteger building = new AtomicInteger();
    /**
     * Credential -> pending version that a rotation asked this pool to build members with, next to
     * the members with the current version. Pending members are never leased before promotion by
     * the pool's one rule (a member is leased only if its versions are the current ones); at
     * promotion they become the fresh ones and the old members become stale in the same instant.
     */
    private final Map<String, String> staged = new java.util.concurrent.ConcurrentHashMap<>();
    /** Whose turn it is when both the current and the pending set need a build (only the maintainer thread flips it). */
    private final AtomicBoolean pendingTurn = new AtomicBoolean(true);

    private final Object failureLock = new Object();
    private int consecutiveFailures;
    private String lastError;
    private long nextAttemptNanos;

    private final Timer warmLeases;
    private final Counter coldStarts;
    private final Map<RetireReason, Counter> retired = new EnumMap<>(RetireReason.class);
    private final Counter buildFailures;
    private final AtomicLong leaseCount = new AtomicLong();
    private final AtomicLong coldCount = new AtomicLong();

    /**
     * Creates the pool and starts filling it in the background.
     *
     * @param versions shared with the other pools so that one invalidation serves all
     */
    WarmPool(TaskType type, SandboxBackend backend, SecretsProvider secrets, CurrentVersions versions,
            Fingerprinter fingerprinter, MeterRegistry metrics, PoolTuning tuning, Clock clock) {
        this.type = type;
        this.settings = type.pool().orElseThrow(() -> new IllegalArgumentException("task type '" + type.name() + "' has no pool"));
        this.baked = type.credentials(Scope.POOL);
        this.bakedNames = baked.stream().map(CredentialRef::name).toList();
        this.backend = backend;
        this.secrets = secrets;
        this.versions = versions;
        this.fingerprinter = fingerprinter;
        this.tuning = tuning;
        this.clock = clock;
        this.maintainer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "credpool-pool-" + type.name()));
        this.workers = Executors.newCachedThreadPool(r -> daemon(r, "credpool-pool-" + type.name() + "-worker"));

        String t = type.name();
        this.warmLeases = Timer.builder("credpool.pool.lease").description("Time to take a fresh warm member (checked against current versions)")
                .tag("type", t).publishPercentileHistogram().register(metrics);
        this.coldStarts = Counter.builder("credpool.pool.cold.starts").description("Tasks of a pooled type that found no fresh member")
                .tag("type", t).register(metrics);
        for (RetireReason r : RetireReason.values()) {
            retired.put(r, Counter.builder("credpool.pool.discards").description("Members destroyed without running a task")
                    .tag("type", t).tag("reason", r.lower()).register(metrics));
        }
        this.buildFailures = Counter.builder("credpool.pool.build.failures").description("Members whose sandbox could not be started")
                .tag("type", t).register(metrics);
        for (MemberState s : MemberState.values()) {
            if (s != MemberState.DESTROYED) {
                Gauge.builder("credpool.pool.members", this, p -> p.count(s)).description("Pool members by state")
                        .tag("type", t).tag("state", s.name().toLowerCase(java.util.Locale.ROOT)).register(metrics);
            }
        }
        Gauge.builder("credpool.pool.size", this, p -> p.settings.size()).description("Configured pool size")
                .tag("type", t).register(metrics);
        maintainer.scheduleWithFixedDelay(this::tick, 0, tuning.tick().toMillis(), TimeUnit.MILLISECONDS);
    }

    public String taskType() {
        return type.name();
    }

    public String backend() {
        return backend.name();
    }

    /**
     * Takes a fresh member for one task, or returns empty (counted as a cold start) when none is
     * ready. The current versions are read from the provider here, uncached: what the task
     * receives is what was current during this call.
     *
     * @throws SecretsException when the provider cannot say what is current; nothing is leased
     */
    public Optional<Lease> lease() {
        long started = System.nanoTime();
        if (closed.get()) {
            return cold();
        }
        Map<String, String> current = null;
        for (Member m : members) {
            if (m.state() != MemberState.READY || m.isPending(staged) || !m.transition(MemberState.READY, MemberState.LEASED)) {
                continue;
            }
            // Exclusively ours from here: no other thread can lease or retire it.
            if (!m.sandbox().isReady()) {
                retire(m, MemberState.LEASED, RetireReason.DIED);
                continue;
            }
            if (!clock.instant().isBefore(m.expiresAt())) {
                retire(m, MemberState.LEASED, RetireReason.EXPIRED);
                continue;
            }
            if (m.generation() < generation.get()) {
                retire(m, MemberState.LEASED, RetireReason.REFRESH);
                continue;
            }
            if (current == null) {
                try {
                    current = bakedNames.isEmpty() ? Map.of() : versions.read(bakedNames);
                } catch (RuntimeException e) {
                    // Cannot prove it fresh: it goes, and the caller's own fetch will report the provider.
                    retire(m, MemberState.LEASED, RetireReason.STALE_CREDENTIAL);
                    throw e;
                }
            }
            if (!m.matches(current)) {
                retire(m, MemberState.LEASED, RetireReason.STALE_CREDENTIAL);
                continue;
            }
            leaseCount.incrementAndGet();
            warmLeases.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            kick();
            return Optional.of(new Lease(this, m));
        }
        return cold();
    }

    private Optional<Lease> cold() {
        coldCount.incrementAndGet();
        coldStarts.increment();
        kick();
        return Optional.empty();
    }

    /** Counts a task of this type that started cold for a reason of its own (e.g. it brings a workspace). */
    public void countColdStart() {
        coldCount.incrementAndGet();
        coldStarts.increment();
    }

    /**
     * Marks every member built so far as due for replacement and rebuilds them with the values
     * current now; watch {@link #status()} until {@link PoolStatus#fullyFresh()}.
     *
     * @return the generation the pool is fresh at when done
     */
    public long refresh() {
        long g = generation.incrementAndGet();
        log.info("pool '{}': refresh requested; rebuilding every member (generation {})", type.name(), g);
        kick();
        return g;
    }

    public PoolStatus status() {
        Map<String, String> current;
        try {
            current = bakedNames.isEmpty() ? Map.of() : versions.read(bakedNames);
        } catch (SecretsException e) {
            current = null;
        }
        long gen = generation.get();
        int fresh = 0;
        int stale = 0;
        int leased = 0;
        int inBuild = 0;
        int pendingReady = 0;
        Map<String, Map<String, Integer>> bakedVersions = new TreeMap<>();
        for (Member m : members) {
            switch (m.state()) {
                case BUILDING -> inBuild++;
                case LEASED -> leased++;
                case STALE -> stale++;
                case DESTROYED -> {
                }
                case READY -> {
                    if (m.isPending(staged)) {
                        pendingReady++;
                        continue;
                    }
                    boolean ok = current != null && m.generation() >= gen && m.matches(current)
                            && clock.instant().isBefore(m.expiresAt());
                    if (ok) {
                        fresh++;
                    } else {
                        stale++;
                    }
                    for (Fingerprint f : m.fingerprints().values()) {
                        bakedVersions.computeIfAbsent(f.credential(), k -> new TreeMap<>()).merge(f.versionId(), 1, Integer::sum);
                    }
                }
            }
        }
        int failures;
        String error;
        long waitMs;
        synchronized (failureLock) {
            failures = consecutiveFailures;
            error = lastError;
            waitMs = Math.max(0, TimeUnit.NANOSECONDS.toMillis(nextAttemptNanos - System.nanoTime()));
        }
        return new PoolStatus(type.name(), backend.name(), settings.size(), settings.maxAge().toMillis(), fresh, stale, inBuild,
                leased, leaseCount.get(), coldCount.get(), (long) retired.get(RetireReason.STALE_CREDENTIAL).count(),
                (long) retired.get(RetireReason.EXPIRED).count(), (long) retired.get(RetireReason.DIED).count(),
                (long) buildFailures.count(), failures, Optional.ofNullable(error), failures == 0 ? 0 : waitMs, gen,
                bakedVersions, current == null ? Map.of() : new TreeMap<>(current), new TreeMap<>(staged), pendingReady);
    }

    /** True when this pool's members have {@code credential} baked in (pool scope). */
    public boolean bakes(String credential) {
        return bakedNames.contains(credential);
    }

    /**
     * Starts building members with {@code versionId} of {@code credential} (a rotation's pending
     * version) beside the current ones. Idempotent. They are not leased until it is current.
     */
    public void stagePending(String credential, String versionId) {
        if (!bakes(credential)) {
            throw new IllegalArgumentException("pool '" + type.name() + "' does not bake '" + credential + "' in");
        }
        if (!versionId.equals(staged.put(credential, versionId))) {
            log.info("pool '{}': building members with pending version {} of '{}' beside the current ones", type.name(), versionId,
                    credential);
        }
        kick();
    }

    /**
     * Stops building pending members of {@code credential}. After promotion they are ordinary fresh
     * members; after a rollback they match nothing current and are destroyed. Idempotent.
     */
    public void unstage(String credential) {
        if (staged.remove(credential) != null) {
            log.info("pool '{}': no longer building pending members of '{}'", type.name(), credential);
        }
        kick();
    }

    /** The pending version staged for {@code credential}, if any. */
    public Optional<String> staged(String credential) {
        return Optional.ofNullable(staged.get(credential));
    }

    /** Every slot of the pending set holds a ready, unexpired member with {@code versionId} of {@code credential}. */
    public boolean freshWithPending(String credential, String versionId) {
        if (!versionId.equals(staged.get(credential))) {
            return false;
        }
        long gen = generation.get();
        Instant now = clock.instant();
        int n = 0;
        for (Member m : members) {
            if (m.state() == MemberState.READY && m.isPending(staged) && m.holds(credential, versionId) && m.generation() >= gen
                    && now.isBefore(m.expiresAt())) {
                n++;
            }
        }
        return n >= settings.size();
    }

    /** Ready or leased members that hold {@code versionId} of {@code credential}. */
    public int holding(String credential, String versionId) {
        int n = 0;
        for (Member m : members) {
            MemberState st = m.state();
            if ((st == MemberState.READY || st == MemberState.LEASED) && m.holds(credential, versionId)) {
                n++;
            }
        }
        return n;
    }

    private Map<String, String> overlay(Map<String, String> current) {
        Map<String, String> out = new LinkedHashMap<>(current);
        out.putAll(staged);
        return out;
    }

    /** Called when a credential may have a new current version: look now rather than at the next tick. */
    void credentialChanged(String name) {
        if (bakedNames.contains(name)) {
            kick();
        }
    }

    /** Destroys every member and stops the background work; running leases keep their sandbox until closed. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        maintainer.shutdownNow();
        for (Member m : members) {
            if (m.transition(MemberState.READY, MemberState.STALE)) {
                retired.get(RetireReason.CLOSED).increment();
                destroy(m);
            } else {
                // BUILDING: its builder sees the failed CAS and destroys what it built.
                // LEASED: the task owns it and its lease destroys it.
                m.transition(MemberState.BUILDING, MemberState.STALE);
            }
        }
        workers.shutdown();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- background ---

    private void kick() {
        if (!closed.get() && tickQueued.compareAndSet(false, true)) {
            try {
                maintainer.execute(this::tick);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    /** Retires what must not be leased any more and starts builds for the empty slots. */
    private void tick() {
        tickQueued.set(false);
        if (closed.get()) {
            return;
        }
        try {
            Map<String, String> current = null;
            try {
                current = bakedNames.isEmpty() ? Map.of() : versions.cached(bakedNames);
            } catch (RuntimeException e) {
                // The lease path reads for itself and will not lease what it cannot check.
                log.debug("pool '{}': cannot read current versions: {}", type.name(), e.getMessage());
            }
            Instant now = clock.instant();
            long gen = generation.get();
            for (Member m : members) {
                if (m.state() != MemberState.READY) {
                    continue;
                }
                Map<String, String> wanted = current == null ? null : m.isPending(staged) ? overlay(current) : current;
                RetireReason why = m.generation() < gen ? RetireReason.REFRESH
                        : wanted != null && !m.matches(wanted) ? RetireReason.STALE_CREDENTIAL
                        : !now.isBefore(m.expiresAt()) ? RetireReason.EXPIRED
                        : !m.sandbox().isReady() ? RetireReason.DIED
                        : null;
                if (why != null && m.transition(MemberState.READY, MemberState.STALE)) {
                    retire(m, MemberState.STALE, why);
                }
            }
            fill();
        } catch (RuntimeException e) {
            log.error("pool '{}': maintenance failed: {}", type.name(), e.toString());
        }
    }

    private void fill() {
        for (;;) {
            Map<String, String> stagedNow = Map.copyOf(staged);
            long live = 0;
            long livePending = 0;
            for (Member x : members) {
                if (x.state() == MemberState.BUILDING || x.state() == MemberState.READY) {
                    if (x.isPending(stagedNow)) {
                        livePending++;
                    } else {
                        live++;
                    }
                }
            }
            // During a rotation the pool holds both generations: a full set with the current
            // versions (leased until promotion) and a full set with the pending ones.
            boolean wantPending = !stagedNow.isEmpty() && livePending < settings.size();
            if ((live >= settings.size() && !wantPending) || building.get() >= tuning.maxParallelBuilds()) {
                return;
            }
            long waitNanos;
            synchronized (failureLock) {
                waitNanos = nextAttemptNanos - System.nanoTime();
            }
            if (consecutiveFailures() > 0 && waitNanos > 0) {
                // Backing off: one build at a time until one succeeds, then fill freely again.
                if (building.get() == 0) {
                    maintainer.schedule(this::kick, waitNanos, TimeUnit.NANOSECONDS);
                }
                return;
            }
            if (consecutiveFailures() > 0 && building.get() > 0) {
                return;
            }
            if (closed.get()) {
                return;
            }
            // When both sets are short, builds alternate between them: under steady load the
            // current set is always short (every lease destroys a member), and serving it first
            // would starve the pending set, so the rotation waiting for it would never get on.
            boolean pending = wantPending && (live >= settings.size() || pendingTurn.getAndSet(!pendingTurn.get()));
            Member m = new Member(newId(), generation.get(), pending ? stagedNow : Map.of());
            members.add(m);
            building.incrementAndGet();
            try {
                workers.execute(() -> build(m));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Closed meanwhile.
                building.decrementAndGet();
                members.remove(m);
                return;
            }
        }
    }

    private void build(Member m) {
        Map<String, SecretValue> values = new LinkedHashMap<>();
        Sandbox sandbox = null;
        try {
            Map<String, SecretValue> env = new LinkedHashMap<>();
            Map<String, Fingerprint> prints = new LinkedHashMap<>();
            for (CredentialRef ref : baked) {
                String pending = m.builtFor().get(ref.name());
                SecretValue v = pending != null ? secrets.version(ref.name(), pending) : secrets.current(ref.name());
                values.put(ref.name(), v);
                env.put(ref.env(), v);
                prints.put(ref.name(), fingerprinter.of(v));
            }
            sandbox = backend.create(new SandboxSpec(type.name(), Optional.empty(), type.network(), env));
            Instant readyAt = clock.instant();
            m.built(sandbox, values, prints, readyAt, readyAt.plus(jitteredMaxAge()));
            succeeded();
            if (!m.transition(MemberState.BUILDING, MemberState.READY)) {
                // Closed while building.
                m.transition(MemberState.STALE, MemberState.DESTROYED);
                m.destroy();
                members.remove(m);
            } else {
                log.debug("pool '{}': member {} ready with {}", type.name(), m.id(), prints.values());
            }
        } catch (RuntimeException e) {
            values.values().forEach(SecretValue::wipe);
            if (sandbox != null) {
                sandbox.close();
            }
            m.forceStale();
            m.transition(MemberState.STALE, MemberState.DESTROYED);
            members.remove(m);
            failed(e);
        } finally {
            building.decrementAndGet();
            kick();
        }
    }

    private Duration jitteredMaxAge() {
        long max = settings.maxAge().toMillis();
        long jitter = (long) (max * tuning.ageJitter());
        return Duration.ofMillis(max - (jitter > 0 ? (long) (random.nextDouble() * jitter) : 0));
    }

    private void succeeded() {
        synchronized (failureLock) {
            if (consecutiveFailures > 0) {
                log.info("pool '{}': {} backend builds members again after {} failures", type.name(), backend.name(), consecutiveFailures);
            }
            consecutiveFailures = 0;
            lastError = null;
            nextAttemptNanos = 0;
        }
    }

    private void failed(RuntimeException e) {
        buildFailures.increment();
        Duration wait;
        int n;
        synchronized (failureLock) {
            n = ++consecutiveFailures;
            lastError = e.getMessage();
            wait = tuning.backoff(n);
            nextAttemptNanos = System.nanoTime() + wait.toNanos();
        }
        log.warn("pool '{}': could not build a member ({} failure{} in a row); next attempt in {} ms: {}", type.name(), n,
                n == 1 ? "" : "s", wait.toMillis(), e.getMessage());
    }

    private int consecutiveFailures() {
        synchronized (failureLock) {
            return consecutiveFailures;
        }
    }

    /** The caller holds {@code m} in state {@code from} (LEASED or STALE), so no one else touches it. */
    private void retire(Member m, MemberState from, RetireReason why) {
        if (from != MemberState.STALE && !m.transition(from, MemberState.STALE)) {
            return;
        }
        retired.get(why).increment();
        log.debug("pool '{}': discarding member {} ({})", type.name(), m.id(), why.lower());
        try {
            workers.execute(() -> destroy(m));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            destroy(m);
        }
        kick();
    }

    private void destroy(Member m) {
        if (m.transition(MemberState.STALE, MemberState.DESTROYED)) {
            try {
                m.destroy();
            } catch (RuntimeException e) {
                log.warn("pool '{}': destroying member {} failed: {}", type.name(), m.id(), e.toString());
            } finally {
                members.remove(m);
            }
        }
    }

    /**
     * Called by {@link Lease#close()}: a used member is destroyed, never returned. The teardown
     * (killing the process tree, waiting for it) runs on a worker so that the task's caller does
     * not wait for it; the member can never be leased again from the moment of the CAS.
     */
    void release(Member m) {
        if (m.transition(MemberState.LEASED, MemberState.DESTROYED)) {
            Runnable teardown = () -> {
                try {
                    m.destroy();
                } catch (RuntimeException e) {
                    log.warn("pool '{}': destroying used member {} failed: {}", type.name(), m.id(), e.toString());
                } finally {
                    members.remove(m);
                    kick();
                }
            };
            try {
                workers.execute(teardown);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                teardown.run();
            }
        }
    }

    private int count(MemberState s) {
        int n = 0;
        for (Member m : members) {
            if (m.state() == s) {
                n++;
            }
        }
        return n;
    }

    private String newId() {
        byte[] b = new byte[4];
        random.nextBytes(b);
        return "m-" + HexFormat.of().formatHex(b);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
