package io.credpool.sandbox.process;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxException;
import io.credpool.sandbox.SandboxSpec;
import io.credpool.sandbox.TaskExit;
import io.credpool.sandbox.process.ProcessSandboxBackend.Mode;
import io.credpool.secrets.SecretValue;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ProcessSandboxBackendTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path temp;

    private Path agentDir;
    private Path tempRoot;
    private ProcessSandboxFactory factory;
    private final SecureRandom random = new SecureRandom();

    @BeforeEach
    void setUp() throws IOException {
        agentDir = Files.createDirectory(temp.resolve("lib"));
        tempRoot = Files.createDirectory(temp.resolve("tmp"));
        factory = new ProcessSandboxFactory(agentDir, System.getenv("PATH"), Duration.ofSeconds(10), tempRoot);
    }

    private ProcessSandboxBackend backend(Mode mode) {
        HostPrograms.require(factory, mode);
        return factory.create(mode);
    }

    private static SandboxSpec spec(Map<String, SecretValue> baked) {
        return new SandboxSpec("test-task", Optional.empty(), false, baked);
    }

    private static SecretValue secret(String name, String value) {
        return SecretValue.of(name, "v1", value.getBytes(UTF_8));
    }

    private String unique() {
        byte[] b = new byte[12];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** A number no other process uses, so that its sleep is findable in /proc by argv. */
    private String uniqueSleep() {
        return "1000." + (100_000_000 + random.nextInt(899_999_999));
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void taskSeesExactlyItsDeclaredVariablesAndNothingOfTheHostEnvironment(Mode mode) {
        assertThat(System.getenv("CREDPOOL_TEST_MARKER")).as("surefire sets the marker in the test JVM").isNotNull();
        CollectingSink out = new CollectingSink();
        try (Sandbox sandbox = backend(mode).create(spec(Map.of("BAKED_TOKEN", secret("pool-cred", "baked-value"))))) {
            TaskExit exit = sandbox.run(List.of("env"), Map.of("TASK_TOKEN", secret("task-cred", "task-value")), out,
                    TIMEOUT);

            assertThat(exit.exitCode()).isZero();
            String home = mode == Mode.BUBBLEWRAP ? "/workspace"
                    : ((ProcessSandbox) sandbox).hostDirectory().orElseThrow().toString();
            assertThat(out.stdout().lines().sorted()).containsExactly(
                    "BAKED_TOKEN=baked-value", "HOME=" + home, "PATH=/usr/local/bin:/usr/bin:/bin",
                    "TASK_TOKEN=task-value");
            assertThat(out.stdout()).doesNotContain("CREDPOOL_TEST_MARKER", "host-environment-must-not-leak");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aDeclaredVariableOverridesTheBaselineAndALeaseTimeOneOverridesABakedOne(Mode mode) {
        CollectingSink out = new CollectingSink();
        try (Sandbox sandbox = backend(mode).create(spec(Map.of("TOKEN", secret("old", "baked"))))) {
            Map<String, SecretValue> env = Map.of("TOKEN", secret("new", "leased"), "HOME", secret("home", "/elsewhere"),
                    "PATH", secret("path", "/usr/bin:/bin:/opt/x"));
            sandbox.run(List.of("sh", "-c", "printf '%s|%s|%s' \"$TOKEN\" \"$HOME\" \"$PATH\""), env, out, TIMEOUT);

            assertThat(out.stdout()).isEqualTo("leased|/elsewhere|/usr/bin:/bin:/opt/x");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void valuesWithNewlinesEqualsSignsUnicodeAnd64KiBRoundTripExactly(Mode mode) {
        StringBuilder big = new StringBuilder();
        while (big.toString().getBytes(UTF_8).length + 7 <= SecretValue.MAX_BYTES) {
            big.append("é=\nx€"); // 2 + 1 + 1 + 1 + 3 bytes: ends up right at the limit
        }
        Map<String, String> values = new LinkedHashMap<>();
        values.put("MULTI_LINE", "line one\nline two\n\nline four");
        values.put("EQUALS", "a=b==c=");
        values.put("UNICODE", "pässwörd-🔑-密码");
        values.put("TRAILING_SPACE", "  spaced  \t");
        values.put("BIG", big.toString());
        Map<String, SecretValue> env = values.entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> secret(e.getKey(), e.getValue())));
        String script = values.keySet().stream().map(n -> "printenv " + n).collect(Collectors.joining("; "));
        CollectingSink out = new CollectingSink();

        try (Sandbox sandbox = backend(mode).create(spec(Map.of()))) {
            TaskExit exit = sandbox.run(List.of("sh", "-c", script), env, out, TIMEOUT);

            assertThat(exit.exitCode()).isZero();
            String expected = values.values().stream().map(v -> v + "\n").collect(Collectors.joining());
            assertThat(out.stdoutBytes()).isEqualTo(expected.getBytes(UTF_8));
            assertThat(big.toString().getBytes(UTF_8).length).isGreaterThan(SecretValue.MAX_BYTES - 8);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aRunningTasksValueAppearsOnNoCommandLineAndInNoHostFile(Mode mode) throws Exception {
        String value = "credpool-secret-" + unique();
        byte[] needle = value.getBytes(UTF_8);
        CollectingSink out = new CollectingSink();
        Path workspace = Files.createDirectory(temp.resolve("ws"));
        Files.writeString(workspace.resolve("README"), "nothing secret here");
        SandboxSpec spec = new SandboxSpec("scan", Optional.of(workspace), false,
                Map.of("BAKED", secret("baked", value + "-baked")));

        try (Sandbox sandbox = backend(mode).create(spec)) {
            CompletableFuture<TaskExit> run = CompletableFuture.supplyAsync(() -> sandbox.run(
                    List.of("sh", "-c", "echo started; sleep 1"), Map.of("SECRET", secret("s", value)), out, TIMEOUT));
            assertThat(out.awaitStdout("started", TIMEOUT)).isTrue();

            assertThat(HostScan.processesWithCmdlineContaining(needle)).isEmpty();
            assertThat(HostScan.filesContaining(temp, needle)).isEmpty();
            ((ProcessSandbox) sandbox).hostDirectory().ifPresent(dir -> assertThat(dir).startsWith(tempRoot));

            assertThat(run.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).exitCode()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theTasksExitCodeIsReturned(Mode mode) {
        try (Sandbox sandbox = backend(mode).create(spec(Map.of()))) {
            TaskExit exit = sandbox.run(List.of("sh", "-c", "echo out; echo err >&2; exit 7"), Map.of(),
                    new CollectingSink(), TIMEOUT);

            assertThat(exit.exitCode()).isEqualTo(7);
            assertThat(exit.timedOut()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void stdoutAndStderrReachTheSinkSeparatelyAndFinishIsCalledOnce(Mode mode) {
        CollectingSink out = new CollectingSink();
        try (Sandbox sandbox = backend(mode).create(spec(Map.of()))) {
            sandbox.run(List.of("sh", "-c", "echo to-out; echo to-err >&2"), Map.of(), out, TIMEOUT);
        }
        assertThat(out.stdout()).isEqualTo("to-out\n");
        assertThat(out.stderr()).isEqualTo("to-err\n");
        assertThat(out.finishCalls()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aTaskKilledBySignalReports128PlusTheSignal(Mode mode) {
        try (Sandbox sandbox = backend(mode).create(spec(Map.of()))) {
            TaskExit exit = sandbox.run(List.of("sh", "-c", "kill -TERM $$"), Map.of(), new CollectingSink(), TIMEOUT);

            assertThat(exit.exitCode()).isEqualTo(128 + 15);
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void execOfAMissingProgramFailsWithTheAgentsMessage(Mode mode) {
        CollectingSink out = new CollectingSink();
        try (Sandbox sandbox = backend(mode).create(spec(Map.of()))) {
            assertThatThrownBy(() -> sandbox.run(List.of("credpool-no-such-program", "--flag"), Map.of(), out, TIMEOUT))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageEndingWith(": exec of 'credpool-no-such-program' failed: No such file or directory");
        }
        assertThat(out.finishCalls()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aTimeoutKillsTheWholeProcessTreeIncludingBackgroundedGrandchildren(Mode mode) throws Exception {
        String marker = uniqueSleep();
        byte[] needle = marker.getBytes(UTF_8);
        CollectingSink out = new CollectingSink();
        try (Sandbox sandbox = backend(mode).create(spec(Map.of()))) {
            CompletableFuture<TaskExit> run = CompletableFuture.supplyAsync(() -> sandbox.run(
                    List.of("sh", "-c", "sleep " + marker + " & echo started; wait"), Map.of(), out,
                    Duration.ofSeconds(1)));
            assertThat(out.awaitStdout("started", TIMEOUT)).isTrue();
            assertThat(HostScan.processesWithCmdlineContaining(needle)).as("the grandchild runs").isNotEmpty();

            TaskExit exit = run.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

            assertThat(exit.timedOut()).isTrue();
            assertThat(exit.exitCode()).isEqualTo(137);
            assertThat(HostScan.awaitNoProcessWith(needle)).as("processes left with the marker").isEmpty();
            assertThat(((ProcessSandbox) sandbox).processHandle().isAlive()).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theTaskEndsWhenItsMainProcessExitsAndLeftoverChildrenAreKilled(Mode mode) throws Exception {
        String marker = uniqueSleep();
        try (Sandbox sandbox = backend(mode).create(spec(Map.of()))) {
            TaskExit exit = sandbox.run(List.of("sh", "-c", "sleep " + marker + " & echo bye"), Map.of(),
                    new CollectingSink(), TIMEOUT);

            assertThat(exit.exitCode()).isZero();
            assertThat(HostScan.awaitNoProcessWith(marker.getBytes(UTF_8))).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void workspaceFilesAreVisibleInsideAndWritesInsideDoNotReachTheHost(Mode mode) throws IOException {
        Path workspace = Files.createDirectory(temp.resolve("repo"));
        Files.writeString(workspace.resolve("hello.txt"), "hello from the host\n");
        Files.createDirectories(workspace.resolve("src/deep"));
        Files.writeString(workspace.resolve("src/deep/file.txt"), "deep\n");
        CollectingSink out = new CollectingSink();
        SandboxSpec spec = new SandboxSpec("ws", Optional.of(workspace), false, Map.of());

        try (Sandbox sandbox = backend(mode).create(spec)) {
            TaskExit exit = sandbox.run(List.of("sh", "-c",
                    "cat hello.txt src/deep/file.txt && echo changed > hello.txt && echo new > new.txt"
                            + " && rm src/deep/file.txt && cat hello.txt && pwd"),
                    Map.of(), out, TIMEOUT);

            assertThat(exit.exitCode()).as(out.stderr()).isZero();
            assertThat(out.stdout()).startsWith("hello from the host\ndeep\nchanged\n");
            if (mode == Mode.BUBBLEWRAP) {
                assertThat(out.stdout()).endsWith("/workspace\n");
            }
        }
        assertThat(workspace.resolve("hello.txt")).hasContent("hello from the host");
        assertThat(workspace.resolve("src/deep/file.txt")).exists();
        assertThat(workspace.resolve("new.txt")).doesNotExist();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aWorkspaceOwnedByAnotherUserIsCopiedAndTheTaskOwnsItsCopy(Mode mode) throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "changing a file's owner needs root");
        Path workspace = Files.createDirectories(temp.resolve("foreign/src"));
        Files.writeString(workspace.resolve("build.sh"), "echo built\n");
        Files.setPosixFilePermissions(workspace.resolve("build.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(workspace.resolve("link"), Path.of("build.sh"));
        UserPrincipalLookupService users = workspace.getFileSystem().getUserPrincipalLookupService();
        for (Path p : List.of(workspace, workspace.resolve("build.sh"))) {
            Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setGroup(users.lookupPrincipalByGroupName("1000"));
            Files.setOwner(p, users.lookupPrincipalByName("1000"));
        }
        CollectingSink out = new CollectingSink();

        try (Sandbox sandbox = backend(mode).create(new SandboxSpec("foreign", Optional.of(workspace), false, Map.of()))) {
            TaskExit exit = sandbox.run(List.of("sh", "-c", "./link && echo more >> build.sh && test -L link"
                    + " && stat -c %u build.sh"), Map.of(), out, TIMEOUT);

            assertThat(exit.exitCode()).as(out.stderr()).isZero();
            assertThat(out.stdout()).isEqualTo("built\n0\n");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"BUBBLEWRAP", "UNSHARE"})
    void theNetworkIsAbsentByDefault(Mode mode) throws IOException {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
                Sandbox sandbox = backend(mode).create(spec(Map.of()))) {
            CollectingSink out = new CollectingSink();
            TaskExit exit = sandbox.run(List.of("bash", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ';"
                    + " echo > /dev/tcp/127.0.0.1/" + server.getLocalPort() + " && echo connected"),
                    Map.of(), out, TIMEOUT);

            assertThat(out.stdout()).isEqualTo("lo\n");
            assertThat(exit.exitCode()).isNotZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void theNetworkIsPresentWhenTheSpecAllowsIt(Mode mode) throws IOException {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
                Sandbox sandbox = backend(mode).create(new SandboxSpec("net", Optional.empty(), true, Map.of()))) {
            CollectingSink out = new CollectingSink();
            TaskExit exit = sandbox.run(List.of("bash", "-c",
                    "echo > /dev/tcp/127.0.0.1/" + server.getLocalPort() + " && echo connected"), Map.of(), out, TIMEOUT);

            assertThat(out.stdout()).as(out.stderr()).isEqualTo("connected\n");
            assertThat(exit.exitCode()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"BUBBLEWRAP"})
    void bubblewrapTasksHaveNoCapabilitiesAndAReadOnlySystem(Mode mode) {
        CollectingSink out = new CollectingSink();
        try (Sandbox sandbox = backend(mode).create(spec(Map.of()))) {
            sandbox.run(List.of("sh", "-c", "grep CapEff /proc/self/status; touch /usr/x || echo ro-usr;"
                    + " ls /etc; echo pid=$$"), Map.of(), out, TIMEOUT);
        }
        assertThat(out.stdout()).contains("CapEff:\t0000000000000000", "ro-usr").doesNotContain("shadow");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aSandboxRunsOneCommandOnly(Mode mode) {
        try (Sandbox sandbox = backend(mode).create(spec(Map.of()))) {
            assertThat(sandbox.isReady()).isTrue();
            sandbox.run(List.of("true"), Map.of(), new CollectingSink(), TIMEOUT);

            assertThat(sandbox.isReady()).isFalse();
            assertThatThrownBy(() -> sandbox.run(List.of("true"), Map.of(), new CollectingSink(), TIMEOUT))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageEndingWith("has already run a command; a sandbox runs one command, create another");
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void closeKillsTheSandboxDeletesItsHostDirectoryAndIsIdempotent(Mode mode) {
        Sandbox sandbox = backend(mode).create(spec(Map.of("A", secret("a", "value"))));
        ProcessSandbox process = (ProcessSandbox) sandbox;
        process.hostDirectory().ifPresent(dir -> assertThat(dir).isDirectory());

        sandbox.close();
        sandbox.close();

        assertThat(process.processHandle().isAlive()).isFalse();
        assertThat(sandbox.isReady()).isFalse();
        process.hostDirectory().ifPresent(dir -> assertThat(dir).doesNotExist());
        assertThat(tempRoot).isEmptyDirectory();
        assertThatThrownBy(() -> sandbox.run(List.of("true"), Map.of(), new CollectingSink(), TIMEOUT))
                .isInstanceOf(IllegalStateException.class).hasMessageEndingWith(" is closed");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void closingARunningSandboxEndsTheRunWithAnException(Mode mode) throws Exception {
        String marker = uniqueSleep();
        CollectingSink out = new CollectingSink();
        Sandbox sandbox = backend(mode).create(spec(Map.of()));
        CompletableFuture<TaskExit> run = CompletableFuture.supplyAsync(() -> sandbox.run(
                List.of("sh", "-c", "echo started; sleep " + marker), Map.of(), out, TIMEOUT));
        assertThat(out.awaitStdout("started", TIMEOUT)).isTrue();

        sandbox.close();

        assertThatThrownBy(() -> run.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                .hasCauseInstanceOf(SandboxException.class).hasMessageContaining("closed");
        assertThat(HostScan.awaitNoProcessWith(marker.getBytes(UTF_8))).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anAgentThatDiesBeforeItIsReadyGivesACleanExceptionAndLeavesNothing(Mode mode) throws IOException {
        Path agent = fakeAgent("echo 'agent broke before ready' >&2\nkill -9 $$\n");
        ProcessSandboxBackend backend = new ProcessSandboxBackend(mode, HostPrograms.launcher(factory, mode), agent,
                Duration.ofSeconds(10), tempRoot);

        assertThatThrownBy(() -> backend.create(spec(Map.of("A", secret("a", "never-sent")))))
                .isInstanceOf(SandboxException.class)
                .hasMessageStartingWith(mode + " sandbox sbx-")
                .hasMessageContaining("for 'test-task' could not start: the " + mode + " sandbox process ended")
                .hasMessageEndingWith("its stderr ends with: agent broke before ready")
                .hasMessageNotContaining("never-sent");
        assertThat(tempRoot).isEmptyDirectory();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anAgentThatNeverGetsReadyIsKilledAfterTheStartupTimeout(Mode mode) throws Exception {
        String marker = uniqueSleep();
        Path agent = fakeAgent("exec sleep " + marker + "\n");
        ProcessSandboxBackend backend = new ProcessSandboxBackend(mode, HostPrograms.launcher(factory, mode), agent,
                Duration.ofMillis(500), tempRoot);

        assertThatThrownBy(() -> backend.create(spec(Map.of())))
                .isInstanceOf(SandboxException.class)
                .hasMessageMatching(mode + " sandbox sbx-[0-9a-f]{12} for 'test-task' did not become ready within 500 ms");
        assertThat(HostScan.awaitNoProcessWith(marker.getBytes(UTF_8))).isEmpty();
        assertThat(tempRoot).isEmptyDirectory();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void aMissingWorkspaceIsRefusedBeforeAnythingStarts(Mode mode) {
        Path missing = temp.resolve("no-such-dir");
        assertThatThrownBy(() -> backend(mode).create(new SandboxSpec("t", Optional.of(missing), false, Map.of())))
                .isInstanceOf(SandboxException.class)
                .hasMessage("cannot create a " + mode + " sandbox for 't': the workspace " + missing
                        + " is not a directory");
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void anInvalidVariableNameIsRefusedWithTheCredentialsName(Mode mode) {
        try (Sandbox sandbox = backend(mode).create(spec(Map.of()))) {
            assertThatThrownBy(() -> sandbox.run(List.of("true"), Map.of("BAD-NAME", secret("deploy-key", "v")),
                    new CollectingSink(), TIMEOUT))
                    .isInstanceOf(SandboxException.class)
                    .hasMessage("cannot inject credential 'deploy-key' as environment variable 'BAD-NAME':"
                            + " the name must match [A-Za-z_][A-Za-z0-9_]*");
        }
    }

    private Path fakeAgent(String body) throws IOException {
        Path script = temp.resolve("fake-agent-" + unique());
        Files.writeString(script, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

}
