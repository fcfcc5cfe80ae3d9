package io.credpool.cli;

import io.credpool.app.Credpool;
import io.credpool.config.ConfigException;
import io.credpool.config.CredentialRef;
import io.credpool.config.CredpoolConfig;
import io.credpool.config.Durations;
import io.credpool.config.ConfigLoader;
import io.credpool.config.TaskType;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool config check`: validates the config and that every referenced credential exists. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Check the task type config.",
        subcommands = ConfigCommand.Check.class)
final class ConfigCommand {
    @ParentCommand
    Main main;

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Validate credpool.yaml and check that the secrets store has every credential it names.",
                "Problems are reported as file:line:column. Exit 0 when usable, 125 otherwise."})
    static final class Check implements Callable<Integer> {
        @ParentCommand
        ConfigCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = "--config", paramLabel = "FILE", description = "config file (default: $CREDPOOL_HOME/credpool.yaml)")
        Path config;

        @Override
        public Integer call() {
            try (Credpool cp = Credpool.open(parent.main.home())) {
                CredpoolConfig c = ConfigLoader.load(config != null ? config : cp.home().config());
                List<String> missing = new ArrayList<>();
                io.credpool.secrets.SecretsRouter secrets = cp.secretsFor(c);
                for (TaskType t : c.taskTypes().values()) {
                    for (CredentialRef ref : t.credentials()) {
                        String provider = secrets.providerNameFor(ref.name());
                        boolean present;
                        try {
                            present = secrets.currentVersionId(ref.name()).isPresent();
                        } catch (io.credpool.secrets.SecretsException e) {
                            missing.add(ref.where() + ": task_types." + t.name() + ": credential '" + ref.name() + "': " + e.getMessage());
                            continue;
                        }
                        if (!present) {
                            missing.add(ref.where() + ": task_types." + t.name() + ": credential '" + ref.name()
                                    + "' is not in " + (provider.equals("embedded") ? "the embedded secrets store; store it with:"
                                            + " printf '%s' \"$VALUE\" | credpool secret put " + ref.name()
                                            : "provider '" + provider + "' (" + secrets.providerFor(ref.name()).kind() + "); store it there"));
                        }
                    }
                }
                if (!missing.isEmpty()) {
                    throw new ConfigException(missing);
                }
                PrintWriter out = spec.commandLine().getOut();
                out.println(c.source() + ": ok, " + c.taskTypes().size() + " task types");
                Table table = new Table("TASK TYPE", "SANDBOX", "NETWORK", "TIMEOUT", "CREDENTIALS");
                for (TaskType t : c.taskTypes().values()) {
                    table.row(t.name(), t.sandbox().lower(), t.network(), Durations.format(t.timeout()),
                            t.credentials().isEmpty() ? "-" : String.join(", ", t.credentials().stream()
                                    .map(r -> r.name() + " as " + r.env() + " (" + r.scope().lower() + ")").toList()));
                }
                table.print(out);
                return 0;
            }
        }
    }
}
