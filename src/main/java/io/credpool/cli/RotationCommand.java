package io.credpool.cli;

import io.credpool.app.Credpool;
import io.credpool.rotation.JournalEntry;
import io.credpool.rotation.Rotation;
import io.credpool.rotation.RotationJournal;
import io.credpool.rotation.RotationView;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool rotation list|show`: the rotation journal, read from the state database. */
@Command(name = "rotation", mixinStandardHelpOptions = true, description = "List rotations and show one with its steps, times and outcomes.",
        subcommands = {RotationCommand.ListRotations.class, RotationCommand.Show.class})
final class RotationCommand {
    @ParentCommand
    Main main;

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every rotation, newest first.")
    static final class ListRotations implements Callable<Integer> {
        @ParentCommand
        RotationCommand parent;
        @Spec
        CommandSpec spec;
        @Option(names = "--output", paramLabel = "text|json", description = "output format (default: text)")
        OutputFormat output = OutputFormat.TEXT;

        @Override
        public Integer call() {
            try (Credpool cp = Credpool.open(parent.main.home())) {
                List<Rotation> all = cp.rotationJournal().list();
                PrintWriter out = spec.commandLine().getOut();
                if (output == OutputFormat.JSON) {
                    out.println(Json.write(all.stream().map(RotationView::of).toList()));
                } else if (all.isEmpty()) {
                    out.println("no rotations yet; start one with: credpool rotate NAME");
                } else {
                    Table t = new Table("ID", "CREDENTIAL", "STATUS", "STEP", "OLD", "NEW", "STARTED", "UPDATED");
                    for (Rotation r : all) {
                        t.row(r.id(), r.credential(), r.status().lower(), r.currentStep(), r.oldVersion().orElse("-"),
                                r.newVersion().orElse("-"), r.createdAt().toString(), r.updatedAt().toString());
                    }
                    t.print(out);
                }
                out.flush();
                return 0;
            }
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One rotation: its record and every journaled step.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        RotationCommand parent;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "ID", description = "the rotation id (see credpool rotation list)")
        String id;
        @Option(names = "--output", paramLabel = "text|json", description = "output format (default: text)")
        OutputFormat output = OutputFormat.TEXT;

        @Override
        public Integer call() {
            try (Credpool cp = Credpool.open(parent.main.home())) {
                RotationJournal journal = cp.rotationJournal();
                Rotation r = journal.get(id);
                PrintWriter out = spec.commandLine().getOut();
                if (output == OutputFormat.JSON) {
                    out.println(Json.write(RotationView.of(r)));
                } else {
                    out.println("rotation " + r.id() + " of '" + r.credential() + "': " + r.status().lower() + " (issuer " + r.issuer()
                            + ")");
                    out.println("  versions: " + r.oldVersion().orElse("-") + " -> " + r.newVersion().orElse("-"));
                    r.cutoverAt().ifPresent(t -> out.println("  cut-over: " + t));
                    r.drainedAt().ifPresent(t -> out.println("  drained:  " + t));
                    r.confirmation().ifPresent(c -> out.println("  confirmation: " + c));
                    r.error().ifPresent(e -> out.println("  error: " + e));
                    Table t = new Table("#", "AT", "STEP", "PHASE", "DETAIL");
                    for (JournalEntry e : r.journal()) {
                        t.row(e.seq(), e.at().toString(), e.step().lower(), e.phase().name().toLowerCase(java.util.Locale.ROOT),
                                e.detail() == null ? "" : e.detail());
                    }
                    t.print(out);
                }
                out.flush();
                return 0;
            }
        }
    }
}
