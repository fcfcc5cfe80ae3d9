package io.credpool.cli;

import io.credpool.app.Credpool;
import io.credpool.secrets.Label;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool secret ...`: the embedded secrets store. Values go in on stdin and never come out. */
@Command(name = "secret", mixinStandardHelpOptions = true,
        description = "Store and list secrets in the embedded encrypted store. Values are read from stdin only and are never printed.",
        subcommands = {SecretCommand.Put.class, SecretCommand.ListVersions.class, SecretCommand.Promote.class})
final class SecretCommand {
    @ParentCommand
    Main main;

    @Command(name = "put", mixinStandardHelpOptions = true,
            description = {"Store a new version of a secret. The value is read from stdin (all bytes, exactly;",
                "up to 64 KiB), never from the command line. Prints the new version id.",
                "Example: printf '%s' \"$TOKEN\" | credpool secret put github-token"})
    static final class Put implements Callable<Integer> {
        @ParentCommand
        SecretCommand parent;
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "secret name: lower case letters, digits, '.', '_', '-'")
        String name;

        @Option(names = "--if-current", paramLabel = "VERSION",
                description = "compare-and-set: store only if VERSION is still the current version ('none' for a new secret)")
        String ifCurrent;

        @Option(names = "--pending", description = "label the new version pending instead of current (for rotation)")
        boolean pending;

        @Option(names = "--output", paramLabel = "text|json", description = "output format (default: text)")
        OutputFormat output = OutputFormat.TEXT;

        @Override
        public Integer call() throws IOException {
            byte[] value = readValue(spec, name);
            try (Credpool cp = Credpool.open(parent.main.home())) {
                Optional<String> expected = ifCurrent == null ? Optional.empty()
                        : Optional.of(ifCurrent.equals("none") ? "" : ifCurrent);
                SecretVersion v = cp.secrets().put(name, value, pending ? Label.PENDING : Label.CURRENT, expected);
                PrintWriter out = spec.commandLine().getOut();
                out.println(output == OutputFormat.JSON ? Json.write(v) : v.versionId());
                out.flush();
                return 0;
            } finally {
                Arrays.fill(value, (byte) 0);
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List secrets: names, version ids, labels (current/pending/previous) and dates. Never values.")
    static final class ListVersions implements Callable<Integer> {
        @ParentCommand
        SecretCommand parent;
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", arity = "0..1", description = "only this secret")
        String name;

        @Option(names = "--all", description = "show every version, not only labelled ones")
        boolean all;

        @Option(names = "--output", paramLabel = "text|json", description = "output format (default: text)")
        OutputFormat output = OutputFormat.TEXT;

        @Override
        public Integer call() {
            try (Credpool cp = Credpool.open(parent.main.home())) {
                List<SecretVersion> versions = name == null ? cp.secrets().list() : cp.secrets().versions(name);
                if (!all) {
                    versions = versions.stream().filter(v -> !v.labels().isEmpty()).toList();
                }
                PrintWriter out = spec.commandLine().getOut();
                if (output == OutputFormat.JSON) {
                    out.println(Json.write(versions));
                } else if (versions.isEmpty()) {
                    out.println(name == null ? "no secrets yet; store one with: printf '%s' \"$VALUE\" | credpool secret put NAME"
                            : "no versions");
                } else {
                    Table t = new Table("NAME", "VERSION", "LABELS", "CREATED");
                    for (SecretVersion v : versions) {
                        t.row(v.name(), v.versionId(), labels(v), v.created());
                    }
                    t.print(out);
                }
                out.flush();
                return 0;
            }
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Make a version current; the old current becomes previous.")
    static final class Promote implements Callable<Integer> {
        @ParentCommand
        SecretCommand parent;
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "VERSION")
        String version;

        @Option(names = "--if-current", paramLabel = "VERSION", description = "compare-and-set on the current version")
        String ifCurrent;

        @Override
        public Integer call() {
            try (Credpool cp = Credpool.open(parent.main.home())) {
                SecretVersion v = cp.secrets().promote(name, version, Optional.ofNullable(ifCurrent));
                spec.commandLine().getOut().println(v.name() + " " + v.versionId() + " is now current");
                spec.commandLine().getOut().flush();
                return 0;
            }
        }
    }

    static String labels(SecretVersion v) {
        return v.labels().isEmpty() ? "-" : v.labels().stream().sorted().map(Label::lower).collect(Collectors.joining(","));
    }

    /** The value from stdin: a hidden prompt on a terminal, else every byte of the pipe. */
    static byte[] readValue(CommandSpec spec, String name) throws IOException {
        java.io.Console console = System.console();
        byte[] value;
        if (console != null) {
            char[] chars = console.readPassword("value for %s (input hidden): ", name);
            if (chars == null) {
                throw new Errors.UsageException("no value given for '" + name + "'");
            }
            ByteBuffer bb = StandardCharsets.UTF_8.encode(CharBuffer.wrap(chars));
            Arrays.fill(chars, '\0');
            value = Arrays.copyOf(bb.array(), bb.limit());
            Arrays.fill(bb.array(), (byte) 0);
        } else {
            InputStream in = System.in;
            value = in.readNBytes(SecretValue.MAX_BYTES + 1);
        }
        if (value.length == 0) {
            throw new Errors.UsageException("no value on stdin for '" + name + "': pipe it in, e.g. printf '%s' \"$VALUE\" | credpool secret put "
                    + name);
        }
        if (value.length > SecretValue.MAX_BYTES) {
            Arrays.fill(value, (byte) 0);
            throw new Errors.UsageException("the value for '" + name + "' is larger than " + SecretValue.MAX_BYTES + " bytes; credpool injects"
                    + " values as environment variables and refuses larger ones");
        }
        if (value[value.length - 1] == '\n') {
            spec.commandLine().getErr().println("credpool: note: the value for '" + name + "' ends with a newline and is stored with it;"
                    + " use printf '%s' instead of echo if that is not meant");
        }
        return value;
    }
}
