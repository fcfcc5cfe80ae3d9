package io.credpool.bench;

import io.credpool.app.Credpool;
import io.credpool.app.CredpoolHome;
import io.credpool.app.Initializer;
import io.credpool.audit.AuditEvent;
import io.credpool.audit.AuditEventKind;
import io.credpool.audit.AuditLog;
import io.credpool.audit.report.AccessReport;
import io.credpool.audit.report.AccessReports;
import io.credpool.config.ConfigLoader;
import io.credpool.config.CredpoolConfig;
import io.credpool.pool.Lease;
import io.credpool.pool.WarmPool;
import io.credpool.task.Orchestrator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How costs grow: warm-lease latency, fill time and memory (the orchestrator JVM's RSS and the
 * sandboxes' RSS and PSS, read from /proc) with the pool size (4, 16, 64 members), and the time of
 * `audit report`, `audit query` and `audit verify` with the audit log's size (10,000 and
 * 1,000,000 records). --quick does a pool of 4 and 10,000 records only. Credentials per task
 * type (1, 10, 100) are in the start suite. Each larger size is compared with the smallest.
 */
public final class ScalingSuite {
    static final int[] POOL_SIZES = {4, 16, 64};
    static final int[] AUDIT_SIZES = {10_000, 1_000_000};

    private ScalingSuite() {
    }

    public static void run(Bench bench, BenchEnv env) throws IOException {
        pools(bench, env);
        audit(bench, env);
    }

    private static void pools(Bench bench, BenchEnv env) throws IOException {
        String firstLatency = null;
        String firstFill = null;
        String firstRss = null;
        String firstPss = null;
        // The JVM's RSS holds whatever heap the suites before this one grew; a pool's own cost is the difference.
        String jvmBefore = "orchestrator JVM RSS before any pool is started";
        bench.value("scaling", jvmBefore, null, Row.Unit.MIB, Memory::selfRss);
        for (int size : POOL_SIZES) {
            if (bench.quick() && size > POOL_SIZES[0]) {
                continue;
            }
            String type = "bench-scale-" + size;
            Path config = env.dir().resolve("scale-" + size + ".yaml");
            Files.writeString(config, "version: 1\ndefaults: {timeout: 1m}\ntask_types:\n  " + type + ":\n    pool: {size: " + size
                    + ", max_age: 1h}\n    credentials:\n      - {name: bench-key-0, env: BENCH_POOL_KEY, scope: pool}\n",
                    StandardCharsets.UTF_8);
            long t0 = System.nanoTime();
            try (Orchestrator server = env.credpool().serverOrchestrator(config, new SimpleMeterRegistry())) {
                WarmPool pool = server.pools().pool(type).orElseThrow(() -> new Bench.CaseFailed(type + " has no warm pool", null));
                String fill = "fill: pool of " + size + " from start to full";
                bench.value("scaling", fill, firstFill, Row.Unit.SECONDS, () -> {
                    awaitFull(pool, Duration.ofSeconds(30 + size));
                    return System.nanoTime() - t0;
                });
                // Memory with every member started and idle: what a full pool of this size costs to hold.
                Memory.Usage sandboxes = Memory.descendants();
                String jvm = "orchestrator JVM RSS, pool of " + size;
                bench.value("scaling", jvm, jvmBefore, Row.Unit.MIB, Memory::selfRss);
                String rss = "sandboxes' RSS summed, pool of " + size;
                bench.value("scaling", rss, firstRss, Row.Unit.MIB, sandboxes::rssBytes);
                String pss = "sandboxes' PSS summed (shared pages split), pool of " + size;
                bench.value("scaling", pss, firstPss, Row.Unit.MIB, sandboxes::pssBytes);

                AtomicReference<Lease> held = new AtomicReference<>();
                String latency = "warm: lease + exec `true`, pool of " + size;
                bench.latency("scaling", latency, firstLatency, bench.reps(20), bench.reps(100),
                        () -> awaitFull(pool, Duration.ofSeconds(30)), () -> {
                            Lease l = pool.lease().orElseThrow(() -> new Bench.CaseFailed("no fresh member in a full pool", null));
                            held.set(l);
                            StartSuite.check(l.sandbox().run(List.of("true"), Map.of(), StartSuite.DISCARD, Duration.ofSeconds(30))
                                    .exitCode(), "warm member");
                        }, () -> held.getAndSet(null).close());
                if (firstLatency == null) {
                    firstLatency = latency;
                    firstFill = fill;
                    firstRss = rss;
                    firstPss = pss;
                }
            }
        }
    }

    private static void audit(Bench bench, BenchEnv env) throws IOException {
        CredpoolHome home = new CredpoolHome(env.dir().resolve("audit-scale"));
        Initializer.init(home);
        // The task types of the bench home, so the report walks as many credentials as a real config would.
        CredpoolConfig config = ConfigLoader.load(env.credpool().home().config());
        Files.copy(env.credpool().home().config(), home.config(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (Credpool cp = Credpool.open(home)) {
            AuditLog audit = cp.audit();
            long have = 0;
            String firstReport = null;
            String firstQuery = null;
            String firstVerify = null;
            for (int size : AUDIT_SIZES) {
                if (bench.quick() && size > AUDIT_SIZES[0]) {
                    continue;
                }
                long from = have;
                String records = String.format("%,d records", size);
                bench.value("scaling", "generate audit log up to " + records + " (bulk append, one transaction)", null,
                        Row.Unit.SECONDS, () -> {
                            long t0 = System.nanoTime();
                            AuditLog.Head head = cp.database().inTransaction(c -> audit.appendAll(c, new TaskRecords(from, size)));
                            if (head.sequence() != size) {
                                throw new IllegalStateException("the log holds " + head.sequence() + " records, not " + size);
                            }
                            return System.nanoTime() - t0;
                        });
                have = size;
                // A million-record report takes seconds: three runs, no warm-up (the 10k runs warmed the code).
                boolean large = size > 100_000;
                int reps = large ? 3 : bench.reps(20);
                int warm = large ? 0 : bench.reps(5);
                String report = "audit report (30d), " + records;
                bench.latency("scaling", report, firstReport, warm, reps, () -> {
                    Instant now = Instant.now();
                    Instant since = now.minus(Duration.ofDays(30));
                    AccessReport r = AccessReports.build(config, audit.since(since), cp.secrets().list(), since, now);
                    if (r.taskTypes().isEmpty()) {
                        throw new IllegalStateException("the report lists no task types");
                    }
                });
                // bench-key-0 goes to every generated task: the query's answer grows with the log.
                String query = "audit query --credential bench-key-0 --version v1, " + records;
                bench.latency("scaling", query, firstQuery, warm, reps, () -> {
                    if (AccessReports.tasksThatReceived(audit, "bench-key-0", "v1").isEmpty()) {
                        throw new IllegalStateException("no task received bench-key-0 v1");
                    }
                });
                String verify = "audit verify (whole hash chain), " + records;
                bench.latency("scaling", verify, firstVerify, warm, reps, () -> {
                    if (!audit.verify().ok()) {
                        throw new IllegalStateException("the generated chain does not verify");
                    }
                });
                if (firstReport == null) {
                    firstReport = report;
                    firstQuery = query;
                    firstVerify = verify;
                }
            }
        }
    }

    private static void awaitFull(WarmPool pool, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!pool.status().fullyFresh()) {
            if (System.nanoTime() > deadline) {
                throw new Bench.CaseFailed("the pool did not fill within " + timeout.toSeconds() + " s: " + pool.status(), null);
            }
            Thread.sleep(1);
        }
    }

    /**
     * The records tasks leave, from sequence {@code from} up to {@code to}: nine of ten tasks of
     * type bench-1 (started, one credential received, finished), every tenth of bench-10 (ten
     * credentials), so the report and the query have real matches to find.
     */
    private static final class TaskRecords implements Iterator<AuditEvent> {
        private final long to;
        private long next;
        private long task;
        private int step;

        TaskRecords(long from, long to) {
            this.next = from;
            this.to = to;
            this.task = from;
        }

        @Override
        public boolean hasNext() {
            return next < to;
        }

        @Override
        public AuditEvent next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            next++;
            int credentials = task % 10 == 9 ? 10 : 1;
            String type = "bench-" + credentials;
            String id = "t-" + task;
            AuditEvent e;
            if (step == 0) {
                e = AuditEvent.of(AuditEventKind.TASK_STARTED).withTask(id, type);
            } else if (step <= credentials) {
                e = AuditEvent.of(AuditEventKind.CREDENTIAL_RECEIVED).withTask(id, type)
                        .withCredential("bench-key-" + (step - 1), "v1").withScope("task");
            } else {
                e = AuditEvent.of(AuditEventKind.TASK_FINISHED).withTask(id, type).withDetail("exit 0");
                step = -1;
                task++;
            }
            step++;
            return e;
        }
    }
}
