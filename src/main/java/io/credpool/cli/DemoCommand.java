package io.credpool.cli;

import io.credpool.app.Credpool;
import io.credpool.app.CredpoolHome;
import io.credpool.app.Initializer;
import io.credpool.audit.AuditRecord;
import io.credpool.audit.AuditVerification;
import io.credpool.secrets.Label;
import io.credpool.secrets.SecretVersion;
import io.credpool.task.Orchestrator;
import io.credpool.task.Session;
import io.credpool.task.TaskRefusedException;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * `credpool demo`: the whole task flow on the embedded defaults, in a throwaway home, narrated.
 * Everything it shows is real: real sandboxes, the real encrypted store and audit log.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Show the whole flow in a throwaway credpool home: store secrets, run sandboxed tasks that",
            "receive them (output redacted), refusals, a session, a new version, the audit log, and a",
            "search of every file credpool wrote for the secret values (there are none)."})
final class DemoCommand implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Spec
    CommandSpec spec;

    @Option(names = "--keep", description = "keep the demo's home directory afterwards (its path is printed)")
    boolean keep;

    private PrintWriter out;
    private int step;

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Path dir = Files.createTempDirectory("credpool-demo-");
        CredpoolHome home = new CredpoolHome(dir);
        // Log into the demo's home, so that the final search covers the log too (no logger exists yet).
        Files.createDirectories(home.logsDir());
        System.setProperty("credpool.log.file", home.logsDir().resolve("credpool.log").toString());
        List<byte[]> values = new ArrayList<>();
        try {
            return demo(home, values);
        } finally {
            if (keep) {
                out.println("\nthe demo's home is kept at " + dir + " (try: credpool --home " + dir + " audit log)");
            } else {
                deleteTree(dir);
            }
            out.flush();
        }
    }

    private int demo(CredpoolHome home, List<byte[]> values) throws IOException {
        title("Initialize a credpool home (master key 0600, encrypted state database, API token)");
        Initializer.init(home);
        Path config = home.root().resolve("demo-credpool.yaml");
        try (InputStream in = getClass().getResourceAsStream("/io/credpool/app/demo-credpool.yaml")) {
            Files.write(config, in.readAllBytes());
        }
        out.println("  home: " + home.root());
        out.println("  config: task types build, agent (session-scope model key), deploy (names a key never stored)");

        try (Credpool cp = Credpool.open(home); Orchestrator orchestrator = cp.orchestrator(config)) {
            title("Store two secrets; values come from stdin in real use, here from a random generator");
            byte[] github = randomToken("ghp_");
            byte[] llm = randomToken("sk-demo-");
            values.add(github);
            values.add(llm);
            put(cp, "github-token", github);
            put(cp, "llm-api-key", llm);
            printSecrets(cp);

            title("Run a `build` task: it receives GITHUB_TOKEN and nothing of this host's environment");
            out.println("  $ credpool run --type build -- sh -c 'env | sort; echo \"$GITHUB_TOKEN\" | base64'");
            TaskResult r = runTask(orchestrator, TaskRequest.of("build", List.of("sh", "-c",
                    "echo '  -- task environment:'; env | sort | sed 's/^/     /'; echo \"  -- the task prints its token: $GITHUB_TOKEN\";"
                            + " echo \"  -- and base64 of it: $(printf %s \"$GITHUB_TOKEN\" | base64 -w0)\"")));
            out.println("  exit " + r.exitCode() + " in " + r.sandbox() + "; received " + r.received().get(0).name() + "@"
                    + r.received().get(0).version() + "; every form of the value above was redacted");

            title("Refusals happen before any sandbox starts, and name the credential");
            refuse(orchestrator, TaskRequest.of("deploy", List.of("true")), "credpool run --type deploy -- true");
            refuse(orchestrator, TaskRequest.of("build", List.of("true")).onlyCredentials(Set.of("llm-api-key")),
                    "credpool run --type build --credential llm-api-key -- true");
            refuse(orchestrator, TaskRequest.of("nightly", List.of("true")), "credpool run --type nightly -- true");
            refuse(orchestrator, TaskRequest.of("agent", List.of("true")), "credpool run --type agent -- true");

            title("A repository that carries a secret is refused before anything starts");
            Path repo = Files.createDirectories(home.root().resolve("repo"));
            Files.writeString(repo.resolve("README.md"), "# demo repo\n");
            Files.write(repo.resolve("AGENTS.md"), ("# notes for the agent\nuse this token: ").getBytes(StandardCharsets.UTF_8));
            Files.write(repo.resolve("AGENTS.md"), github, java.nio.file.StandardOpenOption.APPEND);
            refuse(orchestrator, TaskRequest.of("build", List.of("make")).inWorkspace(repo),
                    "credpool run --type build --workspace repo -- make     (AGENTS.md holds the token)");
            Files.delete(repo.resolve("AGENTS.md"));

            title("A session: the model key is fetched once and shared by the session's tasks only");
            Session session = orchestrator.openSession("agent");
            out.println("  $ credpool session open --type agent   ->  " + session.id() + " holding "
                    + session.held().get(0).name() + "@" + session.held().get(0).version());
            for (int i = 1; i <= 2; i++) {
                TaskResult t = runTask(orchestrator, TaskRequest.of("agent", List.of("sh", "-c",
                        "echo \"  task: LLM_API_KEY has ${#LLM_API_KEY} chars, value $LLM_API_KEY\"")).inSession(session.id()));
                out.println("  task " + t.taskId() + " exit " + t.exitCode());
            }
            orchestrator.closeSession(session.id());
            out.println("  $ credpool session close " + session.id() + "   (values wiped from memory)");

            title("A new version: the next task gets it, the old one is kept as `previous`");
            byte[] github2 = randomToken("ghp_");
            values.add(github2);
            put(cp, "github-token", github2);
            TaskResult r2 = runTask(orchestrator, TaskRequest.of("build", List.of("sh", "-c", "echo \"  token: $GITHUB_TOKEN\"")));
            out.println("  task " + r2.taskId() + " received github-token@" + r2.received().get(0).version());
            printSecrets(cp);

            title("Blast radius: which declared credentials do tasks actually read?");
            io.credpool.audit.report.AccessReport report = io.credpool.audit.report.AccessReports.build(orchestrator.config(),
                    cp.audit().since(java.time.Instant.EPOCH), cp.secrets().list(), java.time.Instant.EPOCH, java.time.Instant.now());
            out.println("  $ credpool audit report");
            for (var type : report.taskTypes()) {
                for (var c : type.credentials()) {
                    if (c.tasksReceived() > 0) {
                        out.println("  " + type.name() + ": " + c.credential() + " received by " + c.tasksReceived() + " task(s), read: "
                                + c.referenced().name().toLowerCase(java.util.Locale.ROOT)
                                + (c.overProvisioned() ? "  <- over-provisioned: " + c.suggestion() : ""));
                    }
                }
            }

            title("The audit log: which task received which version (never a value), hash-chained");
            List<AuditRecord> records = cp.audit().latest(12);
            Table t = new Table("  SEQ", "EVENT", "TASK", "TYPE", "CREDENTIAL", "VERSION", "DETAIL");
            for (AuditRecord a : records) {
                t.row("  " + a.sequence(), a.kind(), a.taskId(), a.taskType(), a.credential(), a.versionId(), a.detail());
            }
            t.print(out);
            AuditVerification v = cp.audit().verify();
            out.println("  $ credpool audit verify   ->  " + (v.ok() ? "ok, " + v.recordsChecked() + " records, chain intact" : "BROKEN"));
        }

        title("Search every file credpool wrote for the three secret values (raw, base64, hex)");
        List<String> hits = searchFiles(home.root(), values);
        out.println(hits.isEmpty() ? "  none found in " + countFiles(home.root()) + " files under " + home.root()
                : "  FOUND: " + hits);
        values.forEach(b -> java.util.Arrays.fill(b, (byte) 0));
        out.println("\ndone. Next: credpool init, then printf '%s' \"$TOKEN\" | credpool secret put github-token");
        return hits.isEmpty() ? 0 : 1;
    }

    private void title(String text) {
        out.println();
        out.println("== " + (++step) + ". " + text);
        out.flush();
    }

    private void put(Credpool cp, String name, byte[] value) {
        SecretVersion v = cp.secrets().put(name, value, Label.CURRENT, Optional.empty());
        out.println("  $ printf '%s' \"$VALUE\" | credpool secret put " + name + "   ->  " + v.versionId());
    }

    private void printSecrets(Credpool cp) {
        out.println("  $ credpool secret list");
        Table t = new Table("  NAME", "VERSION", "LABELS");
        for (SecretVersion v : cp.secrets().list()) {
            t.row("  " + v.name(), v.versionId(), SecretCommand.labels(v));
        }
        t.print(out);
    }

    private TaskResult runTask(Orchestrator orchestrator, TaskRequest request) {
        out.flush();
        return orchestrator.run(request, new RunCommand.StdioSink(System.out, System.out));
    }

    private void refuse(Orchestrator orchestrator, TaskRequest request, String shown) {
        out.println("  $ " + shown);
        try {
            orchestrator.run(request, new RunCommand.StdioSink(System.out, System.err));
            out.println("  (unexpectedly ran)");
        } catch (TaskRefusedException e) {
            out.println("    refused [" + e.code() + "]: " + e.getMessage());
        }
    }

    private static byte[] randomToken(String prefix) {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return (prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(b)).getBytes(StandardCharsets.US_ASCII);
    }

    /** Files under root that contain any of the values in raw, base64 or hex form. */
    static List<String> searchFiles(Path root, List<byte[]> values) throws IOException {
        List<byte[]> needles = new ArrayList<>();
        for (byte[] v : values) {
            needles.add(v);
            needles.add(Base64.getEncoder().encode(v));
            needles.add(HexFormat.of().formatHex(v).getBytes(StandardCharsets.US_ASCII));
        }
        List<String> hits = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                byte[] content = Files.readAllBytes(f);
                for (byte[] n : needles) {
                    if (indexOf(content, n) >= 0) {
                        hits.add(root.relativize(f).toString());
                        break;
                    }
                }
            }
        }
        return hits;
    }

    private static long countFiles(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
