package io.credpool.cli;

import io.credpool.app.CredpoolHome;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The `credpool` command line: parses and translates; the work happens in the core. */
@Command(name = "credpool",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "Runs untrusted tasks in sandboxes with exactly the credentials their task type declares,",
            "fetched by name from a secrets store, injected in memory, redacted from output, audited."},
        subcommands = {
            InitCommand.class, SecretCommand.class, RunCommand.class, SessionCommand.class,
            AuditCommand.class, ScanCommand.class, ConfigCommand.class, ImageCommand.class, ServerCommand.class, PoolCommand.class,
            RotateCommand.class, RotationCommand.class, DemoCommand.class, DemoServiceCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Exit status: 0 ok; for `run`, the task's own exit code; 124 task timed out;",
            "125 refused or credpool error (the message says why); 2 bad usage.",
            "", "Files: $CREDPOOL_HOME (default ~/.credpool): master.key, state/, api.token, credpool.yaml, logs/, images/."})
public final class Main {
    /** credpool's own failures, as distinct from a task's exit code. */
    static final int EXIT_ERROR = 125;
    static final int EXIT_TIMEOUT = 124;

    @Option(names = "--home", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "credpool home (default: $CREDPOOL_HOME, else ~/.credpool)")
    Path home;

    CredpoolHome home() {
        return CredpoolHome.resolve(home);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit status (tests call this). */
    public static int run(String... args) {
        configureLogs(args);
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(new Errors());
        cli.setUsageHelpAutoWidth(true);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        return cli.execute(args);
    }

    /** Points the log file at the home's logs/ before the first logger exists. */
    private static void configureLogs(String[] args) {
        Path homeArg = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--home") && i + 1 < args.length) {
                homeArg = Path.of(args[i + 1]);
            } else if (args[i].startsWith("--home=")) {
                homeArg = Path.of(args[i].substring(7));
            } else if (args[i].equals("--")) {
                break;
            }
        }
        Path logs = CredpoolHome.resolve(homeArg).logsDir();
        if (System.getProperty("credpool.log.file") == null && Files.isDirectory(logs)) {
            System.setProperty("credpool.log.file", logs.resolve("credpool.log").toString());
        }
    }

    /** Version from the jar manifest, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"credpool " + (v == null ? "dev" : v)};
        }
    }
}
