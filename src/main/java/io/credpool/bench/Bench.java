package io.credpool.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measures cases with warm-up and repetition and keeps every number it prints honest: each one
 * comes from this run, and a case whose operation fails stops the benchmark instead of printing.
 */
public final class Bench {
    /** One repetition of a case; throws if the case did not do its work (e.g. a task exited non-zero). */
    @FunctionalInterface
    public interface Op {
        void run() throws Exception;
    }

    /** A case failed: the benchmark reports it and prints no number for it. */
    public static final class CaseFailed extends RuntimeException {
        public CaseFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final boolean quick;
    private final PrintStream progress;
    private final List<Row> rows = new ArrayList<>();

    public Bench(boolean quick, PrintStream progress) {
        this.quick = quick;
        this.progress = progress;
    }

    public boolean quick() {
        return quick;
    }

    public List<Row> rows() {
        return List.copyOf(rows);
    }

    /** Scales a repetition count down for --quick. */
    public int reps(int full) {
        return quick ? Math.max(5, full / 5) : full;
    }

    /**
     * Latency of {@code op}: {@code warmup} unmeasured runs, then {@code n} measured ones.
     *
     * @param baseline the name of the row this one is compared with, or null if it is a baseline
     */
    public Row latency(String suite, String name, String baseline, int warmup, int n, Op op) {
        return latency(suite, name, baseline, warmup, n, () -> { }, op, () -> { });
    }

    /**
     * Latency of {@code op} alone, with {@code before} and {@code after} run around each repetition
     * unmeasured (e.g. waiting until a warm pool is full again, or tearing down what op started).
     */
    public Row latency(String suite, String name, String baseline, int warmup, int n, Op before, Op op, Op after) {
        progress.printf("  %-58s", suite + ": " + name);
        progress.flush();
        for (int i = 0; i < warmup; i++) {
            call(name, before);
            call(name, op);
            call(name, after);
        }
        long[] samples = new long[n];
        for (int i = 0; i < n; i++) {
            call(name, before);
            long t0 = System.nanoTime();
            call(name, op);
            samples[i] = System.nanoTime() - t0;
            call(name, after);
        }
        Arrays.sort(samples);
        // Every sample is kept (sorted) so that --plot draws the distribution, not just two points of it.
        Row row = new Row(suite, name, Row.Kind.LATENCY, samples.length, percentile(samples, 50), percentile(samples, 99),
                Double.NaN, baseline, ratio(baseline, percentile(samples, 50), Row.Kind.LATENCY), Row.Unit.TIME,
                Arrays.stream(samples).boxed().toList());
        progress.printf(" p50 %s%n", Row.millis(row.p50Nanos()));
        rows.add(row);
        return row;
    }

    /** Operations per second of {@code op} run {@code total} times by {@code concurrency} threads, in tasks/s. */
    public Row throughput(String suite, String name, String baseline, int concurrency, int total, Op op) {
        return throughput(suite, name, baseline, concurrency, total, Row.Unit.TASKS_PER_SECOND, op);
    }

    /** As {@link #throughput(String, String, String, int, int, Op)}, the rate shown in {@code unit} (e.g. MB/s). */
    public Row throughput(String suite, String name, String baseline, int concurrency, int total, Row.Unit unit, Op op) {
        progress.printf("  %-58s", suite + ": " + name);
        progress.flush();
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        AtomicInteger left = new AtomicInteger(total);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < concurrency; i++) {
                workers.add(pool.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        call(name, op);
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                try {
                    w.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof CaseFailed c ? c : new CaseFailed(name + ": " + e.getCause(), e.getCause());
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double perSecond = total / seconds;
            Row row = new Row(suite, name, Row.Kind.THROUGHPUT, total, 0, 0, perSecond, baseline,
                    ratio(baseline, perSecond, Row.Kind.THROUGHPUT), unit, List.of());
            progress.printf(" %s%n", row.valueText());
            rows.add(row);
            return row;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CaseFailed(name + ": interrupted", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Records one quantity that the caller measured in this run ({@code measure} returns it in the
     * raw unit of {@code unit}: bytes for MiB, nanoseconds for seconds), e.g. the memory a pool of
     * 64 members holds. A failure of {@code measure} fails the case like any other.
     */
    public Row value(String suite, String name, String baseline, Row.Unit unit, Measure measure) {
        progress.printf("  %-58s", suite + ": " + name);
        progress.flush();
        double raw;
        try {
            raw = measure.measure();
        } catch (CaseFailed e) {
            throw e;
        } catch (Exception e) {
            throw new CaseFailed(name + " failed: " + e.getMessage(), e);
        }
        if (Double.isNaN(raw) || raw < 0) {
            throw new CaseFailed(name + ": measured " + raw + ", which is no quantity", null);
        }
        Row row = new Row(suite, name, Row.Kind.VALUE, 1, 0, 0, raw, baseline, ratio(baseline, raw, Row.Kind.VALUE), unit, List.of());
        progress.printf(" %s%n", row.valueText());
        rows.add(row);
        return row;
    }

    /** Measures one quantity once; throws if it could not be measured. */
    @FunctionalInterface
    public interface Measure {
        double measure() throws Exception;
    }

    private double ratio(String baseline, double value, Row.Kind kind) {
        if (baseline == null) {
            return Double.NaN;
        }
        Row base = rows.stream().filter(r -> r.name().equals(baseline)).findFirst()
                .orElseThrow(() -> new IllegalStateException("baseline '" + baseline + "' must be measured first"));
        if (base.kind() != kind) {
            throw new IllegalStateException("'" + baseline + "' is a " + base.kind() + " row and cannot be the baseline of a " + kind + " row");
        }
        return kind == Row.Kind.LATENCY ? value / base.p50Nanos() : value / base.perSecond();
    }

    private static void call(String name, Op op) {
        try {
            op.run();
        } catch (CaseFailed e) {
            throw e;
        } catch (Exception e) {
            throw new CaseFailed(name + " failed: " + e.getMessage(), e);
        }
    }

    static long percentile(long[] sorted, int p) {
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }
}
