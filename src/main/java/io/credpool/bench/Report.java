package io.credpool.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Prints benchmark rows as a text table, Markdown (for docs/benchmarks.md) or JSON. */
public final class Report {
    private Report() {
    }

    /** What the numbers were measured on: they mean little without it. */
    public static Map<String, String> machine() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores");
        m.put("memory", memory());
        m.put("kernel", System.getProperty("os.version"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        // Other work on the machine moves every number: say how busy it was when they were printed.
        m.put("load", loadAverage());
        return m;
    }

    public static String text(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        String suite = null;
        for (Row r : rows) {
            if (!r.suite().equals(suite)) {
                suite = r.suite();
                sb.append('\n').append(suite).append('\n');
            }
            sb.append(String.format("  %-62s %-30s %s%n", r.name(), r.valueText(), r.ratioText()));
        }
        return sb.toString();
    }

    public static String markdown(List<Row> rows, String command) {
        StringBuilder sb = new StringBuilder();
        sb.append("Machine: ");
        machine().forEach((k, v) -> sb.append(k).append(' ').append(v).append("; "));
        sb.setLength(sb.length() - 2);
        sb.append("\n\nCommand: `").append(command).append("`\n");
        String suite = null;
        Row.Kind kind = null;
        for (Row r : groupedByKind(rows)) {
            boolean newSuite = !r.suite().equals(suite);
            if (newSuite) {
                suite = r.suite();
                sb.append("\n### ").append(suite).append("\n");
            }
            // A suite may mix kinds (scaling: latencies and memory sizes); each kind gets its own table.
            if (newSuite || r.kind() != kind) {
                kind = r.kind();
                sb.append('\n').append(switch (kind) {
                    case LATENCY -> "| case | n | p50 | p99 | ratio (p50) |\n|---|---:|---:|---:|---|\n";
                    case THROUGHPUT -> "| case | n | rate | ratio |\n|---|---:|---:|---|\n";
                    case VALUE -> "| case | measured | ratio |\n|---|---:|---|\n";
                });
            }
            sb.append(switch (r.kind()) {
                case LATENCY -> String.format("| %s | %d | %s | %s | %s |%n", r.name(), r.samples(), Row.millis(r.p50Nanos()),
                        Row.millis(r.p99Nanos()), r.ratioText());
                case THROUGHPUT -> String.format("| %s | %d | %s | %s |%n", r.name(), r.samples(), r.valueText(), r.ratioText());
                case VALUE -> String.format("| %s | %s | %s |%n", r.name(), r.valueText(), r.ratioText());
            });
        }
        return sb.toString();
    }

    /**
     * The rows with each suite's rows grouped by kind (latency, throughput, values), in the order
     * measured within each group: one table per kind, not a new table at every change of kind.
     */
    private static List<Row> groupedByKind(List<Row> rows) {
        Map<String, Map<Row.Kind, List<Row>>> bySuite = new LinkedHashMap<>();
        for (Row r : rows) {
            bySuite.computeIfAbsent(r.suite(), k -> new java.util.EnumMap<>(Row.Kind.class))
                    .computeIfAbsent(r.kind(), k -> new ArrayList<>()).add(r);
        }
        List<Row> out = new ArrayList<>();
        bySuite.values().forEach(kinds -> kinds.values().forEach(out::addAll));
        return out;
    }

    public static Map<String, Object> json(List<Row> rows) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("machine", machine());
        List<Map<String, Object>> out = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("suite", r.suite());
            x.put("case", r.name());
            x.put("samples", r.samples());
            x.put("kind", r.kind().name().toLowerCase(java.util.Locale.ROOT));
            switch (r.kind()) {
                case LATENCY -> {
                    x.put("p50Ms", r.p50Nanos() / 1e6);
                    x.put("p99Ms", r.p99Nanos() / 1e6);
                }
                case THROUGHPUT -> {
                    x.put("perSecond", r.perSecond());
                    x.put("rate", r.unitValue());
                    x.put("unit", r.unit().label());
                }
                case VALUE -> {
                    x.put("value", r.unitValue());
                    x.put("unit", r.unit().label());
                }
            }
            x.put("baseline", r.baseline());
            x.put("ratio", Double.isNaN(r.ratio()) ? null : r.ratio());
            out.add(x);
        }
        m.put("rows", out);
        return m;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: say so below
        }
        return System.getProperty("os.arch");
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " / " + f[1] + " / " + f[2] + " (1 / 5 / 15 min)";
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            return "unknown";
        }
    }

    private static String memory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("\\D", ""));
                    return (kb / 1024 / 1024) + " GiB";
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown
        }
        return "unknown";
    }
}
