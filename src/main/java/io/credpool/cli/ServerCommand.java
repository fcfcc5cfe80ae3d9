package io.credpool.cli;

import io.credpool.api.ApiServer;
import io.credpool.app.Credpool;
import io.credpool.metrics.Metrics;
import io.credpool.task.Orchestrator;
import io.credpool.task.TaskService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool server`: the long-lived orchestrator with the HTTP API; sessions live here. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run the orchestrator as a long-lived process with the HTTP API (bearer token from",
            "$CREDPOOL_HOME/api.token). Sessions live in its memory. The CLI's `run` and `session` commands",
            "find it through $CREDPOOL_HOME/server.json. Task types with `pool:` keep warm sandboxes here",
            "(see `credpool pool status`). Unfinished rotations resume here at start; scheduled ones (rotation.every) run here.",
            "Prometheus metrics at GET /metrics (same token). Stop it with Ctrl-C or SIGTERM."})
final class ServerCommand implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Spec
    CommandSpec spec;

    @Option(names = "--bind", paramLabel = "ADDR", description = "address to listen on (default: 127.0.0.1)")
    String bind = "127.0.0.1";

    @Option(names = "--port", paramLabel = "PORT", description = "port (default: 7391; 0 picks a free one)")
    int port = 7391;

    @Option(names = "--config", paramLabel = "FILE", description = "config file (default: $CREDPOOL_HOME/credpool.yaml)")
    Path config;

    @Override
    public Integer call() throws Exception {
        Metrics metrics = new Metrics();
        try (Credpool cp = Credpool.open(main.home());
                Orchestrator orchestrator = cp.serverOrchestrator(config, metrics.registry());
                TaskService tasks = new TaskService(orchestrator, 1000);
                // Unattended: a manual issuer's revocation cannot be confirmed here and pauses for `credpool rotate --resume`.
                io.credpool.rotation.RotationService rotations = cp.rotations(orchestrator, true,
                        io.credpool.issuer.ManualIssuer.Confirmation.NOBODY)) {
            rotations.startBackground(java.time.Duration.ofMinutes(1));
            String token = Files.readString(cp.home().apiToken(), StandardCharsets.US_ASCII).trim();
            CountDownLatch stop = new CountDownLatch(1);
            try (ApiServer server = new ApiServer(tasks, token, metrics, rotations).start(bind, port)) {
                String url = "http://" + (bind.contains(":") ? "[" + bind + "]" : bind) + ":" + server.port();
                Path info = cp.home().serverFile();
                writePrivate(info, Json.write(Map.of("url", url, "pid", ProcessHandle.current().pid())));
                Thread hook = new Thread(stop::countDown, "credpool-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                spec.commandLine().getOut().println("credpool server listening on " + url + " (pid "
                        + ProcessHandle.current().pid() + "); task types: " + String.join(", ", orchestrator.config().taskTypes().keySet()));
                spec.commandLine().getOut().flush();
                try {
                    stop.await();
                } finally {
                    Files.deleteIfExists(info);
                }
            }
        }
        return 0;
    }

    static void writePrivate(Path file, String content) throws java.io.IOException {
        Path tmp = Files.createTempFile(file.getParent(), ".server", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
