package io.credpool.cli;

import io.credpool.app.Credpool;
import io.credpool.audit.AuditRecord;
import io.credpool.audit.AuditVerification;
import io.credpool.audit.report.AccessReport;
import io.credpool.audit.report.AccessReports;
import io.credpool.audit.report.HtmlReport;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool audit ...`: the hash-chained audit log. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Inspect the audit log: which task received which credential version (never values).",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Log.class, AuditCommand.Report.class, AuditCommand.Query.class})
final class AuditCommand {
    @ParentCommand
    Main main;

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check the audit log's hash chain; reports the first broken or missing record. Exit 1 if broken.")
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        AuditCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = "--output", paramLabel = "text|json", description = "output format (default: text)")
        OutputFormat output = OutputFormat.TEXT;

        @Override
        public Integer call() {
            try (Credpool cp = Credpool.open(parent.main.home())) {
                AuditVerification v = cp.audit().verify();
                PrintWriter out = spec.commandLine().getOut();
                if (output == OutputFormat.JSON) {
                    out.println(Json.write(v));
                } else if (v.ok()) {
                    out.println("audit log ok: " + v.recordsChecked() + " records, hash chain intact");
                } else {
                    AuditVerification.Break b = v.firstBreak().orElseThrow();
                    out.println("audit log BROKEN at record " + b.sequence() + " (" + b.problem() + "): " + b.explanation());
                }
                out.flush();
                return v.ok() ? 0 : 1;
            }
        }
    }

    @Command(name = "log", mixinStandardHelpOptions = true,
            description = "Show audit records, newest last: by task, by credential (and version), or the latest N.")
    static final class Log implements Callable<Integer> {
        @ParentCommand
        AuditCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = "--task", paramLabel = "ID", description = "records of one task")
        String task;

        @Option(names = "--credential", paramLabel = "NAME", description = "records about one credential")
        String credential;

        @Option(names = "--version", paramLabel = "VERSION", description = "with --credential: only this version")
        String version;

        @Option(names = {"-n", "--limit"}, paramLabel = "N", description = "latest N records (default: 50)")
        int limit = 50;

        @Option(names = "--output", paramLabel = "text|json", description = "output format (default: text)")
        OutputFormat output = OutputFormat.TEXT;

        @Override
        public Integer call() {
            if (version != null && credential == null) {
                throw new Errors.UsageException("--version needs --credential NAME");
            }
            try (Credpool cp = Credpool.open(parent.main.home())) {
                List<AuditRecord> records = task != null ? cp.audit().forTask(task)
                        : credential != null ? cp.audit().forCredential(credential, Optional.ofNullable(version))
                        : cp.audit().latest(limit);
                PrintWriter out = spec.commandLine().getOut();
                if (output == OutputFormat.JSON) {
                    out.println(Json.write(records));
                } else {
                    Table t = new Table("SEQ", "TIME", "EVENT", "TASK", "TYPE", "SESSION", "CREDENTIAL", "VERSION", "SCOPE", "DETAIL");
                    for (AuditRecord r : records) {
                        t.row(r.sequence(), r.time(), r.kind(), r.taskId(), r.taskType(), r.sessionId(), r.credential(),
                                r.versionId(), r.scope(), r.detail());
                    }
                    t.print(out);
                }
                out.flush();
                return 0;
            }
        }
    }

    /** Formats of `audit report`. */
    enum ReportFormat { TEXT, JSON, HTML }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = {"Declared vs referenced vs received credentials per task type, scope-policy findings, secrets found",
                "in workspaces, and (html) a timeline of versions and what tasks received. A credential declared but never",
                "read by any scanned task of its type is flagged over-provisioned."})
    static final class Report implements Callable<Integer> {
        @ParentCommand
        AuditCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = "--since", paramLabel = "DURATION", description = "audit records of this last period (default: 30d)")
        String since = "30d";

        @Option(names = "--config", paramLabel = "FILE", description = "config file (default: $CREDPOOL_HOME/credpool.yaml)")
        java.nio.file.Path config;

        @Option(names = "--output", paramLabel = "text|json|html", description = "output format (default: text)")
        ReportFormat output = ReportFormat.TEXT;

        @Override
        public Integer call() {
            java.time.Duration period;
            try {
                period = io.credpool.config.Durations.parse(since);
            } catch (IllegalArgumentException e) {
                throw new Errors.UsageException("--since: " + e.getMessage());
            }
            try (Credpool cp = Credpool.open(parent.main.home())) {
                io.credpool.config.CredpoolConfig cfg = io.credpool.config.ConfigLoader.load(
                        config != null ? config : cp.home().config());
                java.time.Instant now = java.time.Instant.now();
                java.time.Instant from = now.minus(period);
                AccessReport report = AccessReports.build(cfg, cp.audit().since(from), cp.secrets().list(), from, now);
                PrintWriter out = spec.commandLine().getOut();
                switch (output) {
                    case JSON -> out.println(Json.write(report));
                    case HTML -> out.print(HtmlReport.render(report));
                    case TEXT -> text(out, report);
                }
                out.flush();
                return 0;
            }
        }

        private static void text(PrintWriter out, AccessReport r) {
            for (AccessReport.TaskTypeUse t : r.taskTypes()) {
                out.println("task type " + t.name() + ": " + t.tasks() + " tasks, " + t.scannedTasks() + " scanned");
                Table table = new Table("  CREDENTIAL", "ENV", "SCOPE", "TASKS", "REFERENCED", "FINDING");
                for (AccessReport.CredentialUse c : t.credentials()) {
                    table.row("  " + c.credential(), c.env(), c.scope(), c.tasksReceived(),
                            c.referenced().name().toLowerCase(java.util.Locale.ROOT),
                            c.overProvisioned() ? "over-provisioned: " + c.suggestion() : "");
                }
                table.print(out);
                out.println();
            }
            out.println("scope policy: " + (r.policy().isEmpty() ? "no findings" : ""));
            r.policy().forEach(p -> out.println("  " + p.kind().name().toLowerCase(java.util.Locale.ROOT) + ": " + p.message()));
            out.println("secrets found in workspaces: " + (r.workspaceRefusals().isEmpty() ? "none" : ""));
            r.workspaceRefusals().forEach(w -> out.println("  " + w.time() + " " + w.taskType() + ": " + w.findings()));
        }
    }

    @Command(name = "query", mixinStandardHelpOptions = true,
            description = "Which tasks ever received one version of a credential (directly, or through a session that held it).")
    static final class Query implements Callable<Integer> {
        @ParentCommand
        AuditCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = "--credential", required = true, paramLabel = "NAME", description = "credential name")
        String credential;

        @Option(names = "--version", required = true, paramLabel = "VERSION", description = "version id, e.g. v3")
        String version;

        @Option(names = "--output", paramLabel = "text|json", description = "output format (default: text)")
        OutputFormat output = OutputFormat.TEXT;

        @Override
        public Integer call() {
            try (Credpool cp = Credpool.open(parent.main.home())) {
                List<AccessReport.Receipt> receipts = AccessReports.tasksThatReceived(cp.audit(), credential, version);
                PrintWriter out = spec.commandLine().getOut();
                if (output == OutputFormat.JSON) {
                    out.println(Json.write(receipts));
                } else {
                    Table t = new Table("TIME", "TASK", "TYPE", "SESSION", "SCOPE");
                    receipts.forEach(r -> t.row(r.time(), r.taskId(), r.taskType(), r.sessionId(), r.scope()));
                    t.print(out);
                    out.println(receipts.size() + " receipt" + (receipts.size() == 1 ? "" : "s") + " of " + credential + " "
                            + version);
                }
                out.flush();
                return 0;
            }
        }
    }
}
