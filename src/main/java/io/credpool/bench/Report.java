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
        for (Row r : rows) {
            if (!r.suite().equals(suite)) {
                suite = r.suite();
                sb.append("\n### ").append(suite).append("\n\n");
                sb.append(r.kind() == Row.Kind.LATENCY ? "| case | n | p50 | p99 | ratio (p50) |\n|---|---:|---:|---:|---|\n"
                        : "| case | tasks | rate | ratio |\n|---|---:|---:|---|\n");
            }
            if (r.kind() == Row.Kind.LATENCY) {
                sb.append(String.format("| %s | %d | %s | %s | %s |%n", r.name(), r.samples(), Row.millis(r.p50Nanos()),
                        Row.millis(r.p99Nanos()), r.ratioText()));
            } else {
                sb.append(String.format("| %s | %d | %.1f/s | %s |%n", r.name(), r.samples(), r.perSecond(), r.ratioText()));
            }
        }
        return sb.toString();
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
            if (r.kind() == Row.Kind.LATENCY) {
                x.put("p50Ms", r.p50Nanos() / 1e6);
                x.put("p99Ms", r.p99Nanos() / 1e6);
            } else {
                x.put("perSecond", r.perSecond());
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
