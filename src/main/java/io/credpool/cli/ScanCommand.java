package io.credpool.cli;

import io.credpool.app.Credpool;
import io.credpool.app.CredpoolHome;
import io.credpool.config.ConfigLoader;
import io.credpool.config.CredpoolConfig;
import io.credpool.config.ScanSettings;
import io.credpool.config.Sizes;
import io.credpool.scan.Finding;
import io.credpool.scan.ScanResult;
import io.credpool.scan.SkippedFile;
import io.credpool.scan.WorkspaceGuard;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool scan PATH`: the pre-task workspace scan, by hand. */
@Command(name = "scan", mixinStandardHelpOptions = true,
        description = {"Scan a directory (or file) the way a task's workspace is scanned before it starts: for every",
            "live or recently replaced secret version in the store (raw, base64, base64url, hex, URL-encoded) and for",
            "secret-shaped strings (AWS keys, GitHub and Slack tokens, private keys, high-entropy assignments).",
            "Prints file:line and the credential or rule, never the value. Exit 1 when anything is found or the",
            "workspace limit stopped the scan, 0 when clean."},
        footer = {"", "Allowlist: fingerprints or `GLOB RULE` lines in the file named by scan.allowlist in credpool.yaml,",
            "or (for secret-shaped findings only) in the workspace's own .credpool-allow."})
final class ScanCommand implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "PATH", description = "directory or file to scan")
    Path path;

    @Option(names = "--config", paramLabel = "FILE", description = "config whose scan: section applies (default: $CREDPOOL_HOME/credpool.yaml)")
    Path config;

    @Option(names = "--rules-only", description = "do not read the secrets store; look for secret-shaped strings only")
    boolean rulesOnly;

    @Option(names = "--output", paramLabel = "text|json", description = "output format (default: text)")
    OutputFormat output = OutputFormat.TEXT;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(path)) {
            throw new Errors.UsageException(path + " does not exist; give the directory or file to scan");
        }
        CredpoolHome home = main.home();
        PrintWriter err = spec.commandLine().getErr();
        ScanResult result;
        if (rulesOnly || !home.isInitialized()) {
            if (!rulesOnly) {
                err.println("credpool: no initialized home at " + home.root() + ": looking for secret-shaped strings only,"
                        + " not for the store's values (run `credpool init`, or pass --home)");
                err.flush();
            }
            result = new WorkspaceGuard(settings(home), null, List.of(), Clock.systemUTC()).scan(path);
        } else {
            try (Credpool cp = Credpool.open(home)) {
                result = new WorkspaceGuard(settings(home), cp.secrets(), List.of(), Clock.systemUTC()).scan(path);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output == OutputFormat.JSON) {
            out.println(Json.write(result));
        } else {
            print(out, result);
        }
        out.flush();
        return result.clean() && !result.incomplete() ? 0 : 1;
    }

    private ScanSettings settings(CredpoolHome home) {
        Path file = config != null ? config : home.config();
        if (config == null && !Files.exists(file)) {
            return ScanSettings.defaults();
        }
        CredpoolConfig c = ConfigLoader.load(file);
        return c.scan();
    }

    private static void print(PrintWriter out, ScanResult r) {
        for (Finding f : r.findings()) {
            out.println(f.location() + "  " + f.what() + "  fingerprint " + f.fingerprint());
        }
        for (SkippedFile s : r.skipped()) {
            if (s.reason() != SkippedFile.Reason.BINARY) {
                out.println(s.path() + "  not scanned: " + s.reason().lower()
                        + (s.size() >= 0 ? " (" + Sizes.format(s.size()) + ")" : ""));
            }
        }
        for (String note : r.notes()) {
            out.println("note: " + note);
        }
        long binary = r.skipped(SkippedFile.Reason.BINARY);
        out.println(String.format(Locale.ROOT, "%s: %d finding%s in %d files (%s) scanned in %d ms; %d binary file%s skipped;"
                + " %d allowlisted%s", r.clean() ? "clean" : "SECRETS FOUND", r.findings().size(),
                r.findings().size() == 1 ? "" : "s", r.files(), Sizes.format(r.bytes()), r.elapsed().toMillis(), binary,
                binary == 1 ? "" : "s", r.allowlisted(), r.incomplete() ? "; INCOMPLETE: the workspace limit was reached" : ""));
    }
}
