package io.credpool.bench;

import java.util.List;

/**
 * One measured line of a benchmark report. Latency rows carry p50/p99 and their samples (for
 * plots); throughput rows carry a rate of operations per second, shown in the row's {@link Unit};
 * value rows carry one measured quantity (a memory size, a duration measured once) in their unit.
 * {@code ratio} compares with the named baseline measured in the same run (NaN for baselines):
 * for latency, this p50 / baseline p50 (lower is better); for throughput, this rate / baseline
 * rate; for values, this value / baseline value.
 *
 * @param perSecond for throughput, operations per second; for values, the measured quantity in the
 *     raw unit of {@code unit} (bytes, nanoseconds); unused for latency
 * @param samplesNanos every measured repetition of a latency row, sorted; empty for other kinds
 */
public record Row(String suite, String name, Kind kind, int samples, long p50Nanos, long p99Nanos, double perSecond,
        String baseline, double ratio, Unit unit, List<Long> samplesNanos) {

    public enum Kind { LATENCY, THROUGHPUT, VALUE }

    /**
     * How a row's number is shown. For throughput, {@code perOperation} converts one operation into
     * the unit's quantity (a scan of a 200 MB tree is 200 MB), so a rate of operations per second
     * prints as MB/s; for values it is the factor from the measured number to the unit.
     */
    public record Unit(String label, double perOperation) {
        public static final Unit TASKS_PER_SECOND = new Unit("tasks/s", 1);
        public static final Unit OPS_PER_SECOND = new Unit("ops/s", 1);
        public static final Unit TIME = new Unit("ms", 1);

        /** A rate in MiB per second, for operations that each process {@code bytes}. */
        public static Unit mbPerSecond(long bytes) {
            return new Unit("MB/s", bytes / (double) (1 << 20));
        }

        /** A size measured in bytes, shown in MiB. */
        public static final Unit MIB = new Unit("MiB", 1.0 / (1 << 20));
        /** A duration measured once in nanoseconds, shown in seconds. */
        public static final Unit SECONDS = new Unit("s", 1e-9);
    }

    public Row {
        samplesNanos = List.copyOf(samplesNanos);
    }

    /** The row as the suites before units built it: tasks/s for throughput, no samples kept. */
    public Row(String suite, String name, Kind kind, int samples, long p50Nanos, long p99Nanos, double perSecond,
            String baseline, double ratio) {
        this(suite, name, kind, samples, p50Nanos, p99Nanos, perSecond, baseline, ratio,
                kind == Kind.LATENCY ? Unit.TIME : Unit.TASKS_PER_SECOND, List.of());
    }

    static String millis(long nanos) {
        double ms = nanos / 1e6;
        if (ms < 0.1) {
            return String.format("%.1f µs", nanos / 1e3);
        }
        return ms >= 100 ? String.format("%.0f ms", ms) : ms >= 10 ? String.format("%.1f ms", ms) : String.format("%.2f ms", ms);
    }

    /** The rate or value in the row's unit (perSecond holds the raw measurement for both). */
    public double unitValue() {
        return perSecond * unit.perOperation();
    }

    public String valueText() {
        return switch (kind) {
            case LATENCY -> "p50 " + millis(p50Nanos) + ", p99 " + millis(p99Nanos);
            case THROUGHPUT -> String.format("%.1f %s", unitValue(), unit.label());
            case VALUE -> String.format(unitValue() >= 100 ? "%.0f %s" : "%.2f %s", unitValue(), unit.label());
        };
    }

    public String ratioText() {
        return Double.isNaN(ratio) ? "baseline" : String.format("%.2fx %s", ratio, baseline);
    }
}
