package io.credpool.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BenchTest {
    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();
    private final Bench bench = new Bench(false, new PrintStream(progress, true, StandardCharsets.UTF_8));

    @Test
    void percentilesAreTheNearestRankOfTheSortedSamples() {
        long[] sorted = new long[100];
        for (int i = 0; i < 100; i++) {
            sorted[i] = i + 1;
        }
        assertThat(Bench.percentile(sorted, 50)).isEqualTo(50);
        assertThat(Bench.percentile(sorted, 99)).isEqualTo(99);
        assertThat(Bench.percentile(sorted, 100)).isEqualTo(100);
        assertThat(Bench.percentile(sorted, 1)).isEqualTo(1);
        assertThat(Bench.percentile(new long[] {7}, 99)).isEqualTo(7);
        assertThat(Bench.percentile(new long[] {1, 2, 3}, 50)).isEqualTo(2);
        assertThat(Bench.percentile(new long[] {1, 2, 3, 4}, 50)).isEqualTo(2);
    }

    @Test
    void aRatioIsTheValueOverItsBaselineMeasuredInTheSameRun() {
        Row base = bench.value("s", "base", null, Row.Unit.MIB, () -> 4 << 20);
        Row twice = bench.value("s", "twice", "base", Row.Unit.MIB, () -> 10 << 20);
        assertThat(base.ratio()).isNaN();
        assertThat(base.ratioText()).isEqualTo("baseline");
        assertThat(twice.ratio()).isEqualTo(2.5);
        assertThat(twice.ratioText()).isEqualTo("2.50x base");
        assertThat(bench.rows()).containsExactly(base, twice);
    }

    @Test
    void aBaselineMustBeMeasuredFirstAndBeOfTheSameKind() {
        assertThatThrownBy(() -> bench.value("s", "x", "nowhere", Row.Unit.MIB, () -> 1))
                .isInstanceOf(IllegalStateException.class).hasMessage("baseline 'nowhere' must be measured first");
        bench.latency("s", "lat", null, 0, 3, () -> { });
        assertThatThrownBy(() -> bench.value("s", "x", "lat", Row.Unit.MIB, () -> 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("'lat' is a LATENCY row and cannot be the baseline of a VALUE row");
    }

    @Test
    void aLatencyRowKeepsEverySampleSortedAndItsPercentilesComeFromThem() {
        AtomicInteger runs = new AtomicInteger();
        Row row = bench.latency("s", "spin", null, 3, 25, () -> runs.incrementAndGet());
        assertThat(runs).hasValue(28);
        assertThat(row.samples()).isEqualTo(25);
        assertThat(row.samplesNanos()).hasSize(25).isSorted();
        long[] sorted = row.samplesNanos().stream().mapToLong(Long::longValue).toArray();
        assertThat(row.p50Nanos()).isEqualTo(Bench.percentile(sorted, 50));
        assertThat(row.p99Nanos()).isEqualTo(Bench.percentile(sorted, 99));
    }

    @Test
    void aFailingOperationStopsTheCaseAndAddsNoRow() {
        AtomicInteger runs = new AtomicInteger();
        assertThatThrownBy(() -> bench.latency("s", "flaky task", null, 0, 10, () -> {
            if (runs.incrementAndGet() == 4) {
                throw new IllegalStateException("the task exited with 1");
            }
        })).isInstanceOf(Bench.CaseFailed.class).hasMessage("flaky task failed: the task exited with 1");
        assertThatThrownBy(() -> bench.throughput("s", "rate", null, 2, 10, () -> {
            throw new IllegalStateException("no sandbox");
        })).isInstanceOf(Bench.CaseFailed.class).hasMessageContaining("no sandbox");
        assertThatThrownBy(() -> bench.value("s", "size", null, Row.Unit.MIB, () -> Double.NaN))
                .isInstanceOf(Bench.CaseFailed.class).hasMessage("size: measured NaN, which is no quantity");
        assertThat(bench.rows()).isEmpty();
        assertThat(runs).hasValue(4);
    }
}
