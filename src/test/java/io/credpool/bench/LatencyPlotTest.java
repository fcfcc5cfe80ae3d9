package io.credpool.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Dimension;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatencyPlotTest {
    @TempDir
    Path dir;

    private static Row latency(String suite, String name, long medianNanos, int n) {
        Random random = new Random(name.hashCode());
        List<Long> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            samples.add((long) (medianNanos * Math.exp(random.nextGaussian() * 0.3)));
        }
        samples.sort(null);
        long[] sorted = samples.stream().mapToLong(Long::longValue).toArray();
        return new Row(suite, name, Row.Kind.LATENCY, n, Bench.percentile(sorted, 50), Bench.percentile(sorted, 99), Double.NaN,
                null, Double.NaN, Row.Unit.TIME, samples);
    }

    @Test
    void writesAValidPngOfTheSizeItAnnounces() throws Exception {
        List<Row> rows = List.of(latency("start", "bare bwrap", 9_000_000, 200), latency("start", "cold", 26_000_000, 200),
                latency("start", "warm", 3_800_000, 200), latency("secrets", "map read", 400, 2000),
                new Row("throughput", "bare bwrap, concurrency 1", Row.Kind.THROUGHPUT, 200, 0, 0, 46.9, null, Double.NaN));
        Path png = dir.resolve("plots/bench.png");
        LatencyPlot.write(rows, "credpool bench --suite all", png);

        byte[] head = new byte[8];
        System.arraycopy(Files.readAllBytes(png), 0, head, 0, 8);
        assertThat(head).containsExactly(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A);
        BufferedImage read = ImageIO.read(png.toFile());
        Dimension size = LatencyPlot.size(rows);
        assertThat(read.getWidth()).isEqualTo(size.width).isEqualTo(LatencyPlot.WIDTH);
        assertThat(read.getHeight()).isEqualTo(size.height);
        // Something was drawn where the first lane's samples are, not a blank canvas.
        long nonWhite = 0;
        for (int x = 0; x < read.getWidth(); x += 2) {
            for (int y = 0; y < read.getHeight(); y += 2) {
                nonWhite += (read.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF ? 1 : 0;
            }
        }
        assertThat(nonWhite).isGreaterThan(1000);
    }

    @Test
    void eachLatencyCaseAddsALaneAndRatesAddNone() {
        Dimension two = LatencyPlot.size(List.of(latency("start", "a", 1_000_000, 10), latency("start", "b", 2_000_000, 10)));
        Dimension three = LatencyPlot.size(List.of(latency("start", "a", 1_000_000, 10), latency("start", "b", 2_000_000, 10),
                latency("start", "c", 3_000_000, 10),
                new Row("throughput", "t", Row.Kind.THROUGHPUT, 200, 0, 0, 46.9, null, Double.NaN)));
        assertThat(three.height - two.height).isPositive();
        assertThat(three.width).isEqualTo(two.width);
    }

    @Test
    void refusesToDrawAnEmptyPlot() {
        assertThatThrownBy(() -> LatencyPlot.render(List.of(
                new Row("throughput", "t", Row.Kind.THROUGHPUT, 200, 0, 0, 46.9, null, Double.NaN)), "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no latency samples to plot: the suites run measure only rates or values");
    }

    @Test
    void tickLabelsCarryTheirUnit() {
        assertThat(LatencyPlot.timeLabel(500)).isEqualTo("500 ns");
        assertThat(LatencyPlot.timeLabel(2_000)).isEqualTo("2 µs");
        assertThat(LatencyPlot.timeLabel(50_000_000)).isEqualTo("50 ms");
        assertThat(LatencyPlot.timeLabel(2e9)).isEqualTo("2 s");
    }
}
