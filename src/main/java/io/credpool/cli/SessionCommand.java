package io.credpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool session ...`: sessions live in the running server's memory. */
@Command(name = "session", mixinStandardHelpOptions = true,
        description = {"Open, list and close sessions. A session fetches its task type's session-scope credentials",
            "once and keeps them in the server's memory for its tasks (credpool run --session ID).",
            "Needs a running `credpool server`."},
        subcommands = {SessionCommand.Open.class, SessionCommand.ListSessions.class, SessionCommand.Close.class})
final class SessionCommand {
    @ParentCommand
    Main main;

    ApiClient server() {
        return ApiClient.find(main.home()).orElseThrow(() -> new ApiClient.ApiException(
                "sessions live in the memory of a running orchestrator: start `credpool server` first"));
    }

    @Command(name = "open", mixinStandardHelpOptions = true, description = "Open a session; prints its id.")
    static final class Open implements Callable<Integer> {
        @ParentCommand
        SessionCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = {"-t", "--type"}, required = true, paramLabel = "TYPE", description = "task type")
        String type;

        @Option(names = "--output", paramLabel = "text|json", description = "output format (default: text)")
        OutputFormat output = OutputFormat.TEXT;

        @Override
        public Integer call() {
            JsonNode s = parent.server().call("POST", "/v1/sessions", Map.of("type", type));
            PrintWriter out = spec.commandLine().getOut();
            out.println(output == OutputFormat.JSON ? Json.write(s) : s.path("id").asText());
            out.flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List open sessions and the versions they hold.")
    static final class ListSessions implements Callable<Integer> {
        @ParentCommand
        SessionCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = "--output", paramLabel = "text|json", description = "output format (default: text)")
        OutputFormat output = OutputFormat.TEXT;

        @Override
        public Integer call() {
            JsonNode list = parent.server().call("GET", "/v1/sessions", null);
            PrintWriter out = spec.commandLine().getOut();
            if (output == OutputFormat.JSON) {
                out.println(Json.write(list));
            } else {
                Table t = new Table("SESSION", "TYPE", "OPENED", "CREDENTIALS");
                for (JsonNode s : list) {
                    StringBuilder creds = new StringBuilder();
                    for (JsonNode c : s.path("credentials")) {
                        creds.append(creds.length() == 0 ? "" : ", ").append(c.path("name").asText()).append('@').append(c.path("version").asText());
                    }
                    t.row(s.path("id").asText(), s.path("type").asText(), s.path("opened").asText(), creds.length() == 0 ? "-" : creds);
                }
                t.print(out);
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "close", mixinStandardHelpOptions = true, description = "Close a session; its values are wiped from memory.")
    static final class Close implements Callable<Integer> {
        @ParentCommand
        SessionCommand parent;
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            parent.server().call("DELETE", "/v1/sessions/" + id, null);
            spec.commandLine().getOut().println("session " + id + " closed");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
