package io.credpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.credpool.app.Credpool;
import io.credpool.issuer.ManualIssuer;
import io.credpool.rotation.Rotation;
import io.credpool.rotation.RotationService;
import io.credpool.rotation.RotationStatus;
import io.credpool.secrets.SecretValue;
import io.credpool.task.Orchestrator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool rotate NAME`: runs the rotation checklist for one credential, one progress line per step. */
@Command(name = "rotate", mixinStandardHelpOptions = true,
        description = {"Rotate a credential: create the new one in its issuer, store it as pending, rebuild the warm pools",
            "that bake it in, verify it, promote it, drain the old one, revoke it and confirm from the audit log.",
            "With a running `credpool server` the rotation runs there (its pools, sessions and tasks are the holders);",
            "otherwise here, and the drain waits out the whole grace period since other processes' tasks are not visible.",
            "Every step is journaled first: after a crash, `--resume` goes on where it stopped."})
final class RotateCommand implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "the credential to rotate")
    String name;

    @Option(names = "--value-stdin", description = "read the new value from stdin instead of letting credpool or the issuer make it"
            + " (runs here, not in the server)")
    boolean valueStdin;

    @Option(names = "--dry-run", description = "print what the rotation would do; change nothing")
    boolean dryRun;

    @Option(names = "--resume", description = "resume the unfinished rotation of NAME")
    boolean resume;

    @Option(names = "--abort", description = "roll back the unfinished rotation of NAME (refused once the new version is promoted)")
    boolean abort;

    @Option(names = "--config", paramLabel = "FILE", description = "config file (default: $CREDPOOL_HOME/credpool.yaml)")
    Path config;

    @Override
    public Integer call() throws Exception {
        if ((resume ? 1 : 0) + (abort ? 1 : 0) + (dryRun ? 1 : 0) > 1) {
            throw new Errors.UsageException("give at most one of --resume, --abort and --dry-run");
        }
        if (valueStdin && (resume || abort)) {
            throw new Errors.UsageException("--value-stdin starts a rotation; it cannot be combined with --resume or --abort");
        }
        PrintWriter out = spec.commandLine().getOut();
        Optional<ApiClient> server = dryRun || valueStdin ? Optional.empty() : ApiClient.find(main.home());
        if (server.isPresent()) {
            return viaServer(server.get(), out);
        }
        try (Credpool cp = Credpool.open(main.home()); Orchestrator orchestrator = cp.orchestrator(config);
                RotationService rotations = cp.rotations(orchestrator, false, confirmation())) {
            if (dryRun) {
                out.println("dry run: rotating '" + name + "' would:");
                rotations.plan(name).forEach(l -> out.println("  " + l));
                out.flush();
                return 0;
            }
            out.println("note: no credpool server is running; tasks of other processes are not visible here, so the old version"
                    + " is revoked only after the grace period");
            out.flush();
            io.credpool.rotation.RotationListener print = (id, line) -> {
                out.println(line);
                out.flush();
            };
            Rotation r;
            if (abort) {
                r = rotations.abort(name, print);
            } else if (resume) {
                r = rotations.resume(name, print);
            } else {
                Optional<SecretValue> value = Optional.empty();
                if (valueStdin) {
                    byte[] b = SecretCommand.readValue(spec, name);
                    try {
                        value = Optional.of(SecretValue.of(name, "supplied", b));
                    } finally {
                        Arrays.fill(b, (byte) 0);
                    }
                }
                try {
                    r = rotations.rotate(name, value, print);
                } finally {
                    value.ifPresent(SecretValue::wipe);
                }
            }
            return exit(r);
        }
    }

    private Integer viaServer(ApiClient server, PrintWriter out) throws InterruptedException {
        String action = abort ? "abort" : resume ? "resume" : "start";
        JsonNode r = server.call("POST", "/v1/rotations", Map.of("credential", name, "action", action));
        String id = r.path("id").asText();
        out.println("rotation " + id + " of '" + name + "' runs in the server (" + action + "); following it:");
        out.flush();
        int printed = 0;
        for (;;) {
            JsonNode journal = r.path("journal");
            for (int i = printed; i < journal.size(); i++) {
                JsonNode e = journal.get(i);
                if (!e.path("phase").asText().equals("started")) {
                    out.println(e.path("step").asText() + ": " + e.path("phase").asText() + (e.path("detail").isNull() ? ""
                            : ": " + e.path("detail").asText()));
                }
            }
            printed = journal.size();
            out.flush();
            String status = r.path("status").asText();
            if (!status.equals("running")) {
                out.println("rotation " + id + ": " + status + (r.path("error").isNull() ? "" : ": " + r.path("error").asText())
                        + (r.path("confirmation").isNull() ? "" : "; " + r.path("confirmation").asText()));
                out.flush();
                return status.equals("done") || status.equals("rolled_back") && abort ? 0 : Main.EXIT_ERROR;
            }
            Thread.sleep(250);
            r = server.call("GET", "/v1/rotations/" + id, null);
        }
    }

    private int exit(Rotation r) {
        return r.status() == RotationStatus.DONE || r.status() == RotationStatus.ROLLED_BACK && abort ? 0 : Main.EXIT_ERROR;
    }

    /** A manual issuer's revocation is confirmed by the operator at the terminal. */
    private ManualIssuer.Confirmation confirmation() {
        java.io.Console console = System.console();
        if (console == null) {
            return ManualIssuer.Confirmation.NOBODY;
        }
        return (credential, value) -> {
            String answer = console.readLine("has %s been revoked where it is used? [y/N] ", value);
            return answer != null && answer.trim().equalsIgnoreCase("y");
        };
    }
}
