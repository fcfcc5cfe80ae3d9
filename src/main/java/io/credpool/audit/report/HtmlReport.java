package io.credpool.audit.report;

import io.credpool.audit.report.AccessReport.CredentialUse;
import io.credpool.audit.report.AccessReport.PolicyFinding;
import io.credpool.audit.report.AccessReport.Receipt;
import io.credpool.audit.report.AccessReport.TaskTypeUse;
import io.credpool.audit.report.AccessReport.Timeline;
import io.credpool.audit.report.AccessReport.VersionSpan;
import io.credpool.audit.report.AccessReport.WorkspaceRefusal;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Renders an {@link AccessReport} as one self-contained HTML page: inline CSS and SVG, no script,
 * no fonts, no network, so it can be mailed or archived and opens the same offline.
 */
public final class HtmlReport {
    private static final int CHART_WIDTH = 900;
    private static final int LANE = 26;
    private static final int LEFT = 90;
    private static final String[] PALETTE = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#e15759"};

    private HtmlReport() {
    }

    public static String render(AccessReport r) {
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">")
                .append("<title>credpool access report</title><style>")
                .append("body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}")
                .append("table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}")
                .append("th{background:#f3f3f3}tr.over td{background:#fff3e0}.muted{color:#777}.warn{color:#b45309}")
                .append("code{background:#f5f5f5;padding:0 3px}svg text{font:11px sans-serif}")
                .append("</style></head><body>\n");
        h.append("<h1>credpool access report</h1>\n<p class=\"muted\">generated ").append(esc(r.generated()))
                .append(", audit records since ").append(esc(r.since())).append(", config ").append(esc(r.config()))
                .append("</p>\n");

        h.append("<h2>Task types</h2>\n");
        for (TaskTypeUse t : r.taskTypes()) {
            h.append("<h3 id=\"type-").append(esc(t.name())).append("\">").append(esc(t.name())).append("</h3>\n<p>")
                    .append(t.tasks()).append(" task").append(t.tasks() == 1 ? "" : "s").append(" started, ")
                    .append(t.scannedTasks()).append(" with a workspace/command scan; ")
                    .append(t.overProvisioned().size()).append(" over-provisioned credential")
                    .append(t.overProvisioned().size() == 1 ? "" : "s").append("</p>\n");
            h.append("<table class=\"task-type\" data-task-type=\"").append(esc(t.name())).append("\">")
                    .append("<tr><th>credential</th><th>env</th><th>scope</th><th>tasks received</th><th>referenced</th>")
                    .append("<th>finding</th></tr>\n");
            for (CredentialUse c : t.credentials()) {
                h.append("<tr class=\"credential").append(c.overProvisioned() ? " over" : "").append("\" data-credential=\"")
                        .append(esc(c.credential())).append("\"><td>").append(esc(c.credential())).append("</td><td><code>")
                        .append(esc(c.env())).append("</code></td><td>").append(esc(c.scope())).append("</td><td>")
                        .append(c.tasksReceived()).append("</td><td>").append(c.referenced().name().toLowerCase(Locale.ROOT))
                        .append("</td><td>").append(c.overProvisioned() ? "<span class=\"warn\">over-provisioned</span>: "
                                + esc(c.suggestion()) : "").append("</td></tr>\n");
            }
            h.append("</table>\n");
        }

        h.append("<h2>Scope policy</h2>\n");
        if (r.policy().isEmpty()) {
            h.append("<p class=\"muted\">no findings</p>\n");
        } else {
            h.append("<ul class=\"policy\">\n");
            for (PolicyFinding p : r.policy()) {
                h.append("<li data-kind=\"").append(p.kind()).append("\"><b>").append(p.kind().name().toLowerCase(Locale.ROOT)
                        .replace('_', ' ')).append("</b>: ").append(esc(p.message())).append("</li>\n");
            }
            h.append("</ul>\n");
        }

        h.append("<h2>Secrets found in workspaces</h2>\n");
        if (r.workspaceRefusals().isEmpty()) {
            h.append("<p class=\"muted\">no task was refused for a secret in its workspace</p>\n");
        } else {
            h.append("<table class=\"refusals\"><tr><th>time</th><th>task type</th><th>where (file:line credential@version or rule)</th></tr>\n");
            for (WorkspaceRefusal w : r.workspaceRefusals()) {
                h.append("<tr><td>").append(esc(w.time())).append("</td><td>").append(esc(w.taskType())).append("</td><td>")
                        .append(esc(w.findings())).append("</td></tr>\n");
            }
            h.append("</table>\n");
        }

        h.append("<h2>Versions and what tasks received</h2>\n<p class=\"muted\">Bars: each version from its creation until")
                .append(" the next; dots: a task or session receiving that version.</p>\n");
        for (Timeline t : r.timelines()) {
            timeline(h, t, r.since(), r.generated());
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void timeline(StringBuilder h, Timeline t, Instant since, Instant now) {
        Instant from = since;
        for (VersionSpan v : t.versions()) {
            if (v.created().isBefore(from)) {
                from = v.created();
            }
        }
        long span = Math.max(1, now.toEpochMilli() - from.toEpochMilli());
        List<VersionSpan> vs = t.versions();
        int height = Math.max(1, vs.size()) * LANE + 30;
        h.append("<h3>").append(esc(t.credential())).append("</h3>\n<svg class=\"timeline\" data-credential=\"")
                .append(esc(t.credential())).append("\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(CHART_WIDTH)
                .append("\" height=\"").append(height).append("\" role=\"img\"><title>").append(esc(t.credential()))
                .append(" versions and receipts</title>\n");
        int plot = CHART_WIDTH - LEFT - 10;
        for (int i = 0; i < vs.size(); i++) {
            VersionSpan v = vs.get(i);
            double x0 = LEFT + plot * (double) (v.created().toEpochMilli() - from.toEpochMilli()) / span;
            Instant end = v.replaced() == null ? now : v.replaced();
            double x1 = LEFT + plot * (double) (end.toEpochMilli() - from.toEpochMilli()) / span;
            int y = 5 + i * LANE;
            String color = PALETTE[i % PALETTE.length];
            h.append(String.format(Locale.ROOT, "<text x=\"4\" y=\"%d\">%s%s</text>", y + 15, esc(v.version()),
                    v.labels().isEmpty() ? "" : " (" + esc(String.join(",", v.labels())) + ")"));
            h.append(String.format(Locale.ROOT, "<rect class=\"version\" data-version=\"%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\""
                    + " height=\"18\" fill=\"%s\" fill-opacity=\"0.35\"><title>%s created %s</title></rect>\n",
                    esc(v.version()), x0, y, Math.max(2, x1 - x0), color, esc(v.version()), esc(v.created())));
            for (Receipt rc : t.receipts()) {
                if (!rc.version().equals(v.version())) {
                    continue;
                }
                double x = LEFT + plot * (double) (rc.time().toEpochMilli() - from.toEpochMilli()) / span;
                String who = rc.taskId() != null ? "task " + rc.taskId() : "session " + rc.sessionId();
                h.append(String.format(Locale.ROOT, "<circle class=\"receipt\" cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"%s\">"
                        + "<title>%s (%s) received %s at %s</title></circle>\n", x, y + 9, color, esc(who),
                        esc(rc.taskType()), esc(rc.version()), esc(rc.time())));
            }
        }
        h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" class=\"muted\">%s</text>", LEFT, height - 6, esc(from)));
        h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", CHART_WIDTH - 10,
                height - 6, esc(now)));
        h.append("</svg>\n");
    }

    static String esc(Object o) {
        String s = String.valueOf(o);
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
