package io.credpool.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowTest {
    private static final Row SCAN_BASE = new Row("scan", "indexOf", Row.Kind.THROUGHPUT, 5, 0, 0, 2.0, null, Double.NaN,
            Row.Unit.mbPerSecond(200L << 20), List.of());
    private static final Row SCAN = new Row("scan", "credpool scan", Row.Kind.THROUGHPUT, 5, 0, 0, 0.5, "indexOf", 0.25,
            Row.Unit.mbPerSecond(200L << 20), List.of());

    @Test
    void scanRowsAreShownInMegabytesPerSecond() {
        assertThat(SCAN_BASE.valueText()).isEqualTo("400.0 MB/s");
        assertThat(SCAN.valueText()).isEqualTo("100.0 MB/s");
        assertThat(SCAN.unitValue()).isEqualTo(100.0);
    }

    @Test
    void theRowConstructorWithoutAUnitMeansTasksPerSecondAsBefore() {
        Row r = new Row("throughput", "bare bwrap", Row.Kind.THROUGHPUT, 200, 0, 0, 46.94, null, Double.NaN);
        assertThat(r.unit()).isEqualTo(Row.Unit.TASKS_PER_SECOND);
        assertThat(r.valueText()).isEqualTo("46.9 tasks/s");
        assertThat(r.samplesNanos()).isEmpty();
    }

    @Test
    void valueRowsAreShownInTheirUnit() {
        Row mib = new Row("scaling", "rss", Row.Kind.VALUE, 1, 0, 0, 3.5 * (1 << 20), null, Double.NaN, Row.Unit.MIB, List.of());
        Row seconds = new Row("scaling", "fill", Row.Kind.VALUE, 1, 0, 0, 1.25e9, null, Double.NaN, Row.Unit.SECONDS, List.of());
        Row big = new Row("scaling", "jvm", Row.Kind.VALUE, 1, 0, 0, 250.0 * (1 << 20), null, Double.NaN, Row.Unit.MIB, List.of());
        assertThat(mib.valueText()).isEqualTo("3.50 MiB");
        assertThat(seconds.valueText()).isEqualTo("1.25 s");
        assertThat(big.valueText()).isEqualTo("250 MiB");
    }

    @Test
    void everyOutputFormatShowsTheUnit() {
        List<Row> rows = List.of(SCAN_BASE, SCAN);
        assertThat(Report.text(rows)).contains("400.0 MB/s").contains("100.0 MB/s").doesNotContain("tasks/s");
        assertThat(Report.markdown(rows, "cmd")).contains("| credpool scan | 5 | 100.0 MB/s | 0.25x indexOf |");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> json = (List<Map<String, Object>>) Report.json(rows).get("rows");
        assertThat(json.get(1)).containsEntry("unit", "MB/s").containsEntry("rate", 100.0).containsEntry("perSecond", 0.5);
    }

    @Test
    void aSuiteMixingKindsGetsOneMarkdownTablePerKind() {
        Row lat = new Row("scaling", "lease", Row.Kind.LATENCY, 3, 2_000_000, 3_000_000, Double.NaN, null, Double.NaN,
                Row.Unit.TIME, List.of(1_000_000L, 2_000_000L, 3_000_000L));
        Row mem = new Row("scaling", "rss", Row.Kind.VALUE, 1, 0, 0, 1 << 20, null, Double.NaN, Row.Unit.MIB, List.of());
        String md = Report.markdown(List.of(lat, mem), "cmd");
        assertThat(md).contains("| case | n | p50 | p99 | ratio (p50) |").contains("| lease | 3 | 2.00 ms | 3.00 ms | baseline |")
                .contains("| case | measured | ratio |").contains("| rss | 1.00 MiB | baseline |");
        assertThat(md.indexOf("### scaling")).isEqualTo(md.lastIndexOf("### scaling"));
    }
}
