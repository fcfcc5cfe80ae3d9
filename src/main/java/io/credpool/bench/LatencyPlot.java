package io.credpool.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Dimension;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Draws the latency samples of a run as a PNG: one panel per suite, one lane per case, every
 * sample as a dot over a box (p25–p75, p50 line, whiskers p1–p99) on a log time axis. A log axis
 * because one suite holds cases that differ a hundredfold (a lease vs a cold start), and a strip
 * of dots because the tails are what p99 alone hides. Java2D only: no plotting dependency.
 */
public final class LatencyPlot {
    static final int WIDTH = 1400;
    private static final int LABEL_WIDTH = 540;
    private static final int RIGHT_MARGIN = 40;
    private static final int TITLE_HEIGHT = 86;
    private static final int PANEL_HEADER = 34;
    private static final int LANE = 34;
    private static final int AXIS_HEIGHT = 52;
    private static final int PANEL_GAP = 18;
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
        new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf),
    };

    private LatencyPlot() {
    }

    /**
     * Writes the plot of {@code rows}' latency samples to {@code png}.
     *
     * @param title the first line is the heading, a second (after a newline) is drawn smaller below it
     */
    public static void write(List<Row> rows, String title, Path png) throws IOException {
        BufferedImage image = render(rows, title);
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("this JVM has no PNG writer");
        }
    }

    /** The size of the image {@link #render} draws for {@code rows}: fixed width, a lane per latency case. */
    public static Dimension size(List<Row> rows) {
        Map<String, List<Row>> panels = panels(rows);
        int height = TITLE_HEIGHT;
        for (List<Row> lanes : panels.values()) {
            height += PANEL_HEADER + lanes.size() * LANE + AXIS_HEIGHT + PANEL_GAP;
        }
        return new Dimension(WIDTH, height);
    }

    /**
     * Renders the plot.
     *
     * @throws IllegalArgumentException if no row has latency samples: an empty plot would look like a result
     */
    public static BufferedImage render(List<Row> rows, String title) {
        Map<String, List<Row>> panels = panels(rows);
        if (panels.isEmpty()) {
            throw new IllegalArgumentException("no latency samples to plot: the suites run measure only rates or values");
        }
        Dimension size = size(rows);
        BufferedImage image = new BufferedImage(size.width, size.height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, size.width, size.height);
            g.setColor(Color.BLACK);
            String[] lines = title.split("\n", 2);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
            g.drawString(lines[0], 16, 26);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
            if (lines.length > 1) {
                g.drawString(lines[1], 16, 48);
            }
            g.setColor(Color.DARK_GRAY);
            g.drawString("latency per repetition, log scale; dot = one sample, box = p25–p75, thick line = p50 (median),"
                    + " whiskers = p1–p99", 16, 70);
            int y = TITLE_HEIGHT;
            for (Map.Entry<String, List<Row>> panel : panels.entrySet()) {
                y = drawPanel(g, panel.getKey(), panel.getValue(), y);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /** Latency rows with samples, grouped by suite in the order the run measured them. */
    private static Map<String, List<Row>> panels(List<Row> rows) {
        Map<String, List<Row>> panels = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.kind() == Row.Kind.LATENCY && !r.samplesNanos().isEmpty()) {
                panels.computeIfAbsent(r.suite(), k -> new ArrayList<>()).add(r);
            }
        }
        return panels;
    }

    private static int drawPanel(Graphics2D g, String suite, List<Row> lanes, int top) {
        long min = Long.MAX_VALUE;
        long max = 0;
        for (Row r : lanes) {
            min = Math.min(min, r.samplesNanos().get(0));
            max = Math.max(max, r.samplesNanos().get(r.samplesNanos().size() - 1));
        }
        // Whole decades around the data, so tick labels are round numbers.
        double lo = Math.floor(Math.log10(Math.max(1, min)));
        double hi = Math.ceil(Math.log10(Math.max(10, max)));
        if (hi <= lo) {
            hi = lo + 1;
        }
        int x0 = LABEL_WIDTH;
        int x1 = WIDTH - RIGHT_MARGIN;
        Axis axis = new Axis(lo, hi, x0, x1);

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("suite: " + suite, 16, top + 22);
        int plotTop = top + PANEL_HEADER;
        int plotBottom = plotTop + lanes.size() * LANE;

        // Grid and tick labels: 1, 2, 5 of each decade.
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        for (int d = (int) lo; d <= (int) hi; d++) {
            for (int m : new int[] {1, 2, 5}) {
                double nanos = m * Math.pow(10, d);
                if (Math.log10(nanos) > hi + 1e-9) {
                    continue;
                }
                int x = axis.x(nanos);
                g.setColor(m == 1 ? new Color(0xBBBBBB) : new Color(0xE4E4E4));
                g.drawLine(x, plotTop, x, plotBottom);
                g.setColor(Color.BLACK);
                g.drawLine(x, plotBottom, x, plotBottom + (m == 1 ? 6 : 3));
                // Over more than four decades the 2 and 5 labels would run into each other: decades only.
                if (m == 1 || hi - lo <= 4) {
                    String label = timeLabel(nanos);
                    g.drawString(label, x - fm.stringWidth(label) / 2, plotBottom + 20);
                }
            }
        }
        g.setColor(Color.BLACK);
        g.drawLine(x0, plotBottom, x1, plotBottom);
        g.drawLine(x0, plotTop, x0, plotBottom);
        String axisTitle = "time from start of the operation to its end (log scale)";
        g.drawString(axisTitle, (x0 + x1) / 2 - fm.stringWidth(axisTitle) / 2, plotBottom + 40);

        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        FontMetrics lfm = g.getFontMetrics();
        for (int i = 0; i < lanes.size(); i++) {
            Row r = lanes.get(i);
            int mid = plotTop + i * LANE + LANE / 2;
            Color c = PALETTE[i % PALETTE.length];
            if (i % 2 == 1) {
                g.setColor(new Color(0xF6F6F6));
                g.fillRect(x0 + 1, plotTop + i * LANE, x1 - x0 - 1, LANE);
            }
            g.setColor(Color.BLACK);
            String label = fit(r.name() + "  (n=" + r.samples() + ")", lfm, LABEL_WIDTH - 26);
            g.drawString(label, LABEL_WIDTH - 10 - lfm.stringWidth(label), mid + 5);

            List<Long> s = r.samplesNanos();
            // Seeded jitter: the same run always draws the same picture.
            Random jitter = new Random(31L * i + s.size());
            g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 70));
            for (long v : s) {
                int x = axis.x(v);
                int y = mid - LANE / 3 + jitter.nextInt(2 * LANE / 3 + 1);
                g.fillOval(x - 2, y - 2, 5, 5);
            }
            long[] sorted = s.stream().mapToLong(Long::longValue).toArray();
            int p1 = axis.x(Bench.percentile(sorted, 1));
            int p25 = axis.x(Bench.percentile(sorted, 25));
            int p50 = axis.x(Bench.percentile(sorted, 50));
            int p75 = axis.x(Bench.percentile(sorted, 75));
            int p99 = axis.x(Bench.percentile(sorted, 99));
            int h = LANE / 4;
            g.setColor(c.darker());
            g.setStroke(new BasicStroke(1.5f));
            g.drawLine(p1, mid, p25, mid);
            g.drawLine(p75, mid, p99, mid);
            g.drawLine(p1, mid - h / 2, p1, mid + h / 2);
            g.drawLine(p99, mid - h / 2, p99, mid + h / 2);
            g.drawRect(p25, mid - h, Math.max(1, p75 - p25), 2 * h);
            g.setStroke(new BasicStroke(3.5f));
            g.drawLine(p50, mid - h - 2, p50, mid + h + 2);
            g.setStroke(new BasicStroke(1f));
        }
        return plotBottom + AXIS_HEIGHT + PANEL_GAP;
    }

    static String timeLabel(double nanos) {
        if (nanos < 1e3) {
            return String.format("%.0f ns", nanos);
        }
        if (nanos < 1e6) {
            return String.format("%.0f µs", nanos / 1e3);
        }
        if (nanos < 1e9) {
            return String.format("%.0f ms", nanos / 1e6);
        }
        return String.format("%.0f s", nanos / 1e9);
    }

    private static String fit(String text, FontMetrics fm, int width) {
        if (fm.stringWidth(text) <= width) {
            return text;
        }
        String t = text;
        while (t.length() > 1 && fm.stringWidth(t + "…") > width) {
            t = t.substring(0, t.length() - 1);
        }
        return t + "…";
    }

    /** Maps nanoseconds onto a log10 axis spanning decades {@code lo}..{@code hi}. */
    private record Axis(double lo, double hi, int x0, int x1) {
        int x(double nanos) {
            double l = Math.log10(Math.max(1, nanos));
            return x0 + (int) Math.round((l - lo) / (hi - lo) * (x1 - x0));
        }
    }
}
