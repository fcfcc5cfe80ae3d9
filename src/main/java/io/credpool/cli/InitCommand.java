package io.credpool.cli;

import io.credpool.app.Initializer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** `credpool init`: creates the home. Safe to run again: existing files are kept. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Create the credpool home: a private directory with a master key (0600), the encrypted",
            "state database, an API token (0600) and an example credpool.yaml. Existing files are kept."})
final class InitCommand implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Initializer.Result r = Initializer.init(main.home());
        var out = spec.commandLine().getOut();
        if (r.created().isEmpty()) {
            out.println("credpool home " + r.home().root() + " is already initialized; nothing changed");
        } else {
            out.println("initialized credpool home " + r.home().root());
            for (Path p : r.created()) {
                out.println("  created " + p);
            }
            out.println();
            out.println("next: store a secret (value on stdin, never on the command line):");
            out.println("  printf '%s' \"$GITHUB_TOKEN\" | credpool secret put github-token");
            out.println("then edit " + r.home().config() + " and run a task:");
            out.println("  credpool run --type build -- make test");
        }
        out.flush();
        return 0;
    }
}
