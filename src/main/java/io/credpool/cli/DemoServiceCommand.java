package io.credpool.cli;

import io.credpool.demoservice.DemoService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool demo-service`: the small HTTP API-key service whose keys the http-api-key issuer rotates. */
@Command(name = "demo-service", mixinStandardHelpOptions = true,
        description = {"Run a small in-memory HTTP API-key service (for the demo and the http-api-key issuer):",
            "POST /keys (admin, Idempotency-Key), GET /check (Bearer KEY: 200/401), DELETE /keys/{id},",
            "DELETE /keys/by-hash/{sha256}. Keys are forgotten when it stops. Stop it with Ctrl-C or SIGTERM."})
final class DemoServiceCommand implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Spec
    CommandSpec spec;

    @Option(names = "--bind", paramLabel = "ADDR", description = "address to listen on (default: 127.0.0.1)")
    String bind = "127.0.0.1";

    @Option(names = "--port", paramLabel = "PORT", description = "port (default: 7392; 0 picks a free one)")
    int port = 7392;

    @Option(names = "--admin-token-file", paramLabel = "FILE",
            description = "file holding the admin token; created (mode 0600) with a random token if missing"
                    + " (default: $CREDPOOL_HOME/demo-service.token)")
    Path tokenFile;

    @Override
    public Integer call() throws Exception {
        Path file = tokenFile != null ? tokenFile : main.home().root().resolve("demo-service.token");
        String token = adminToken(file);
        CountDownLatch stop = new CountDownLatch(1);
        try (DemoService service = new DemoService(token).start(bind, port)) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "demo-service-shutdown"));
            spec.commandLine().getOut().println("credpool demo-service listening on http://" + (bind.contains(":") ? "[" + bind + "]" : bind)
                    + ":" + service.port() + " (admin token in " + file + ")");
            spec.commandLine().getOut().flush();
            stop.await();
        }
        return 0;
    }

    private String adminToken(Path file) throws java.io.IOException {
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            ServerCommand.writePrivate(file, Base64.getUrlEncoder().withoutPadding().encodeToString(random) + "\n");
        }
        String token = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (token.isEmpty()) {
            throw new IllegalArgumentException("admin token file " + file + " is empty; write a token into it or delete it to get a new one");
        }
        return token;
    }
}
