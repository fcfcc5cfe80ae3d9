package io.credpool.cli;

import io.credpool.app.Credpool;
import io.credpool.sandbox.OutputSink;
import io.credpool.task.Orchestrator;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskResult;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool run`: one task, with its declared credentials, in a fresh sandbox. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run a command as a task of a task type, in a fresh sandbox, with exactly the credentials",
            "the task type declares injected as environment variables. Output is shown with every",
            "injected value redacted. The exit status is the task's own (124 on timeout, 125 if refused).",
            "Uses the running `credpool server` when there is one (required for --session)."},
        footer = {"", "Example: credpool run --type build -- make test"})
final class RunCommand implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--type"}, required = true, paramLabel = "TYPE", description = "task type from credpool.yaml")
    String type;

    @Option(names = "--session", paramLabel = "ID", description = "run inside this open session (see `credpool session open`)")
    String session;

    @Option(names = {"-w", "--workspace"}, paramLabel = "DIR",
            description = "directory copied into the sandbox's tmpfs workspace (default: the current directory)")
    Path workspace;

    @Option(names = "--no-workspace", description = "start with an empty workspace")
    boolean noWorkspace;

    @Option(names = "--credential", paramLabel = "NAME",
            description = "give the task only these of its type's credentials (repeatable)")
    List<String> only;

    @Option(names = "--config", paramLabel = "FILE", description = "config file (default: $CREDPOOL_HOME/credpool.yaml)")
    Path config;

    @Option(names = "--local", description = "run in this process even when a server is running")
    boolean local;

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "the command and its arguments (after --)")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        TaskRequest request = new TaskRequest(type, command, workspace(), Optional.ofNullable(session),
                only == null ? Optional.empty() : Optional.of(new LinkedHashSet<>(only)));
        Optional<ApiClient> server = local ? Optional.empty() : ApiClient.find(main.home());
        if (server.isPresent()) {
            if (config != null) {
                throw new Errors.UsageException("--config applies to local runs; the server uses the config it was started with"
                        + " (pass --local to run here)");
            }
            return exitStatus(server.get().runTask(request, System.out, System.err));
        }
        if (session != null) {
            throw new Errors.UsageException("sessions live in the memory of a running orchestrator: start `credpool server`"
                    + " first, then `credpool session open --type " + type + "`");
        }
        try (Credpool cp = Credpool.open(main.home()); Orchestrator orchestrator = cp.orchestrator(config)) {
            TaskResult result = orchestrator.run(request, new StdioSink(System.out, System.err));
            return exitStatus(result);
        }
    }

    static int exitStatus(TaskResult r) {
        return r.timedOut() ? Main.EXIT_TIMEOUT : r.exitCode();
    }

    private Optional<Path> workspace() {
        if (noWorkspace) {
            if (workspace != null) {
                throw new Errors.UsageException("--workspace and --no-workspace contradict each other");
            }
            return Optional.empty();
        }
        Path dir = (workspace != null ? workspace : Path.of("")).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new Errors.UsageException("workspace " + dir + " is not a directory");
        }
        if (workspace == null && (dir.getParent() == null || dir.equals(Path.of(System.getProperty("user.home"))))) {
            throw new Errors.UsageException("refusing to copy " + dir + " into the sandbox as the workspace;"
                    + " run from the project directory, or pass --workspace DIR or --no-workspace");
        }
        return Optional.of(dir);
    }

    /** Writes the (already redacted) task output straight to this process's stdout and stderr. */
    static final class StdioSink implements OutputSink {
        private final PrintStream out;
        private final PrintStream err;

        StdioSink(PrintStream out, PrintStream err) {
            this.out = out;
            this.err = err;
        }

        @Override
        public void write(Stream stream, byte[] buf, int off, int len) {
            PrintStream p = stream == Stream.STDOUT ? out : err;
            p.write(buf, off, len);
            p.flush();
        }

        @Override
        public void finish() {
            out.flush();
            err.flush();
        }
    }
}
