package io.credpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool pool ...`: warm pools live in the running server; this asks it. */
@Command(name = "pool", mixinStandardHelpOptions = true,
        description = {"Show and refresh the warm pools of the running `credpool server` (task types with `pool:`).",
            "Members hold the pool-scope credentials baked in; only members whose versions are current are leased."},
        subcommands = {PoolCommand.Status.class, PoolCommand.Refresh.class})
final class PoolCommand {
    @ParentCommand
    Main main;

    ApiClient server() {
        return ApiClient.find(main.home()).orElseThrow(() -> new ApiClient.ApiException(
                "warm pools live in a running orchestrator: start `credpool server` first (a one-shot `credpool run` has no pool)"));
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Per pool: size, fresh, stale, building, leased, leases, cold starts, and the versions baked in (ids only).")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        PoolCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = {"-t", "--type"}, paramLabel = "TYPE", description = "only this task type's pool")
        String type;

        @Option(names = "--output", paramLabel = "text|json", description = "output format (default: text)")
        OutputFormat output = OutputFormat.TEXT;

        @Override
        public Integer call() {
            ApiClient server = parent.server();
            JsonNode pools = type == null ? server.call("GET", "/v1/pools", null)
                    : Json.MAPPER.createArrayNode().add(server.call("GET", "/v1/pools/" + type, null));
            PrintWriter out = spec.commandLine().getOut();
            if (output == OutputFormat.JSON) {
                out.println(Json.write(type == null ? pools : pools.get(0)));
            } else if (pools.isEmpty()) {
                out.println("no warm pools: add pool: {size: N, max_age: 10m} to a task type in credpool.yaml and restart the server");
            } else {
                Table t = new Table("TYPE", "BACKEND", "SIZE", "FRESH", "STALE", "BUILDING", "LEASED", "LEASES", "COLD", "BAKED", "STATE");
                for (JsonNode p : pools) {
                    t.row(p.path("type").asText(), p.path("backend").asText(), p.path("size").asInt(), p.path("fresh").asInt(),
                            p.path("stale").asInt(), p.path("building").asInt(), p.path("leased").asInt(), p.path("leases").asLong(),
                            p.path("coldStarts").asLong(), baked(p), state(p));
                }
                t.print(out);
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "refresh", mixinStandardHelpOptions = true,
            description = {"Rebuild every member of a pool with the versions current now, and wait until it is fully fresh.",
                "Old members are never leased meanwhile; tasks start cold until new ones are ready."})
    static final class Refresh implements Callable<Integer> {
        @ParentCommand
        PoolCommand parent;
        @Spec
        CommandSpec spec;

        @Option(names = {"-t", "--type"}, required = true, paramLabel = "TYPE", description = "the task type whose pool to rebuild")
        String type;

        @Option(names = "--timeout", paramLabel = "DURATION", description = "give up waiting after this long (default: 5m)")
        String timeout = "5m";

        @Override
        public Integer call() throws InterruptedException {
            Duration limit;
            try {
                limit = io.credpool.config.Durations.parse(timeout);
            } catch (IllegalArgumentException e) {
                throw new Errors.UsageException("--timeout: " + e.getMessage());
            }
            ApiClient server = parent.server();
            PrintWriter out = spec.commandLine().getOut();
            JsonNode started = server.call("POST", "/v1/pools/" + type + "/refresh", Map.of());
            long generation = started.path("generation").asLong();
            out.println("refreshing pool '" + type + "' (generation " + generation + ")");
            out.flush();
            long deadline = System.nanoTime() + limit.toNanos();
            String last = "";
            for (;;) {
                JsonNode p = server.call("GET", "/v1/pools/" + type, null);
                String line = "  " + p.path("fresh").asInt() + "/" + p.path("size").asInt() + " fresh, " + p.path("building").asInt()
                        + " building, " + p.path("stale").asInt() + " stale; baked " + baked(p)
                        + (p.path("consecutiveFailures").asInt() > 0 ? "; backing off after " + p.path("consecutiveFailures").asInt()
                                + " failed builds: " + p.path("lastError").asText() : "");
                if (!line.equals(last)) {
                    out.println(line);
                    out.flush();
                    last = line;
                }
                if (p.path("fullyFresh").asBoolean() && p.path("generation").asLong() >= generation) {
                    out.println("pool '" + type + "' is fully fresh");
                    out.flush();
                    return 0;
                }
                if (System.nanoTime() > deadline) {
                    throw new ApiClient.ApiException("pool '" + type + "' was not fully fresh after " + timeout
                            + "; see `credpool pool status --type " + type + "` and the server log");
                }
                Thread.sleep(100);
            }
        }
    }

    /** "npm-token@v3" or "npm-token@v2×1,v3×3" while a change rolls through; "-" when none. */
    static String baked(JsonNode pool) {
        List<String> parts = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = pool.path("baked").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> c = it.next();
            List<String> versions = new ArrayList<>();
            c.getValue().fields().forEachRemaining(v -> versions.add(v.getKey() + (c.getValue().size() > 1 ? "×" + v.getValue().asInt() : "")));
            parts.add(c.getKey() + "@" + String.join(",", versions));
        }
        return parts.isEmpty() ? "-" : String.join(" ", parts);
    }

    static String state(JsonNode p) {
        if (p.path("consecutiveFailures").asInt() > 0) {
            return "backing off: " + p.path("lastError").asText();
        }
        return p.path("fullyFresh").asBoolean() ? "fresh" : "filling";
    }
}
