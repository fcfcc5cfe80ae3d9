package io.credpool.bench;

/**
 * One measured line of a benchmark report. Latency rows carry p50/p99; throughput rows carry a
 * rate. {@code ratio} compares with the named baseline measured in the same run (NaN for baselines):
 * for latency, this p50 / baseline p50 (lower is better); for throughput, this rate / baseline rate.
 */
public record Row(String suite, String name, Kind kind, int samples, long p50Nanos, long p99Nanos, double perSecond,
        String baseline, double ratio) {

    public enum Kind { LATENCY, THROUGHPUT }

    static String millis(long nanos) {
        double ms = nanos / 1e6;
        if (ms < 0.1) {
            return String.format("%.1f µs", nanos / 1e3);
        }
        return ms >= 100 ? String.format("%.0f ms", ms) : ms >= 10 ? String.format("%.1f ms", ms) : String.format("%.2f ms", ms);
    }

    public String valueText() {
        return kind == Kind.LATENCY ? "p50 " + millis(p50Nanos) + ", p99 " + millis(p99Nanos)
                : String.format("%.1f tasks/s", perSecond);
    }

    public String ratioText() {
        return Double.isNaN(ratio) ? "baseline" : String.format("%.2fx %s", ratio, baseline);
    }
}
