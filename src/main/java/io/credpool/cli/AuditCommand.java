package io.credpool.cli;

import io.credpool.app.Credpool;
import io.credpool.audit.AuditRecord;
import io.credpool.audit.AuditVerification;
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
        subcommands = {AuditCommand.Verify.class, AuditCommand.Log.class})
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
}
