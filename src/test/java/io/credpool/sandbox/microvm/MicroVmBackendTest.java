package io.credpool.sandbox.microvm;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.credpool.sandbox.AgentBinary;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxException;
import io.credpool.sandbox.SandboxSpec;
import io.credpool.sandbox.TaskExit;
import io.credpool.sandbox.process.HostScan;
import io.credpool.secrets.SecretValue;
import io.credpool.testing.CollectingSink;
import io.credpool.testing.MicroVms;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Real QEMU microVMs under TCG: one image and one backend for the class, so one cold boot per spec. */
class MicroVmBackendTest {
    private static final String POOL_VALUE = "pool-secret-9f3c1e7a2b";
    private static final String TASK_VALUE = "task-secret-5d8e0b4c6a";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path dir;
    private static MicroVmBackend backend;
    private static GuestImage image;
    private static final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    @BeforeAll
    static void boot() {
        MicroVms.requireQemu();
        ((Logger) LoggerFactory.getLogger("io.credpool")).addAppender(logs);
        logs.start();
        image = ImageBuilder.forHost().build(dir.resolve("images"));
        backend = new MicroVmBackend(MicroVmBackend.Settings.defaults(image, dir.resolve("state"))
                .withAccel(MicroVmBackend.Accel.TCG).withBootTimeout(Duration.ofSeconds(120)));
    }

    @AfterAll
    static void shutdown() {
        if (backend != null) {
            backend.close();
        }
        ((Logger) LoggerFactory.getLogger("io.credpool")).detachAppender(logs);
    }

    private static SandboxSpec spec(String label, String version, String value) {
        return new SandboxSpec(label, Optional.empty(), false,
                Map.of("POOL_TOKEN", SecretValue.of("pool-token", version, value.getBytes(UTF_8))));
    }

    private static SandboxSpec standard() {
        return spec("standard", "v1", POOL_VALUE);
    }

    private static TaskExit run(Sandbox sandbox, CollectingSink sink, String script) {
        return sandbox.run(List.of("sh", "-c", script),
                Map.of("TASK_TOKEN", SecretValue.of("task-token", "t1", TASK_VALUE.getBytes(UTF_8))), sink, TIMEOUT);
    }

    @Test
    void aTaskSeesItsDeclaredVariablesAndExitsWithItsOwnCode() throws IOException {
        Path ws = Files.createDirectories(dir.resolve("ws"));
        Files.writeString(ws.resolve("hello.txt"), "from the host\n");
        Files.createDirectories(ws.resolve("sub"));
        Files.writeString(ws.resolve("sub/deep.txt"), "deep\n");
        SandboxSpec spec = new SandboxSpec("standard", Optional.of(ws), false, standard().bakedEnv());
        try (Sandbox sandbox = backend.create(spec)) {
            CollectingSink sink = new CollectingSink();
            TaskExit exit = run(sandbox, sink,
                    "echo \"$POOL_TOKEN|$TASK_TOKEN|$HOME|$(pwd)\"; cat hello.txt sub/deep.txt; echo err >&2; exit 42");

            assertThat(exit.exitCode()).isEqualTo(42);
            assertThat(exit.timedOut()).isFalse();
            assertThat(sink.stdout()).isEqualTo(POOL_VALUE + "|" + TASK_VALUE + "|/workspace|/workspace\n"
                    + "from the host\ndeep\n");
            assertThat(sink.stderr()).isEqualTo("err\n");
        }
    }

    @Test
    void noValueReachesQemuArgvTheStateDirectoryOrTheLogs() throws Exception {
        try (Sandbox first = backend.create(standard()); Sandbox restored = backend.create(standard())) {
            assertThat(backend.template("standard")).isPresent();
            // Run the task so that both values are in guest memory and on the serial line right now.
            CollectingSink sink = new CollectingSink();
            assertThat(run(restored, sink, "echo \"$POOL_TOKEN $TASK_TOKEN\"").exitCode()).isZero();
            assertThat(sink.stdout()).contains(POOL_VALUE, TASK_VALUE);

            String qemuCmdline = String.join(" ", ((MicroVmSandbox) first).processHandle().info().arguments()
                    .orElseThrow());
            assertThat(qemuCmdline).contains("-M microvm").contains("-accel tcg");
            // Every file is read once (the snapshot is tens of MiB) and searched for every form.
            Map<Path, byte[]> files = new java.util.HashMap<>();
            for (Path root : List.of(dir.resolve("state"), dir.resolve("images"))) {
                try (Stream<Path> walk = Files.walk(root)) {
                    for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                        files.put(p, Files.readAllBytes(p));
                    }
                }
            }
            assertThat(files.keySet()).anyMatch(p -> p.toString().endsWith(".snap"));
            for (String value : List.of(POOL_VALUE, TASK_VALUE)) {
                for (byte[] form : encodings(value)) {
                    assertThat(HostScan.processesWithCmdlineContaining(form)).isEmpty();
                    files.forEach((path, content) -> assertThat(HostScan.indexOf(content, form)).as(path.toString())
                            .isNegative());
                    String f = new String(form, UTF_8);
                    assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains(f));
                }
            }
        }
    }

    @Test
    void twoRestoresOfOneSnapshotReadDifferentRandomBytes() {
        backend.create(standard()).close(); // makes sure the template exists
        List<String> random = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            try (Sandbox sandbox = backend.create(standard())) {
                CollectingSink sink = new CollectingSink();
                assertThat(run(sandbox, sink, "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n'").exitCode())
                        .isZero();
                assertThat(sink.stdout()).hasSize(64);
                random.add(sink.stdout());
            }
        }
        assertThat(random.get(0)).isNotEqualTo(random.get(1));
    }

    @Test
    void aStaleSnapshotIsNeverRestoredAfterRotation() throws IOException {
        try (Sandbox v1 = backend.create(spec("rotating", "v1", "rotating-old-value"))) {
            assertThat(backend.template("rotating").orElseThrow().bakedVersions())
                    .containsEntry("POOL_TOKEN", "pool-token@v1");
        }
        List<Path> before = snapshotFiles();

        try (Sandbox v2 = backend.create(spec("rotating", "v2", "rotating-new-value"))) {
            CollectingSink sink = new CollectingSink();
            assertThat(run(v2, sink, "echo $POOL_TOKEN").exitCode()).isZero();
            assertThat(sink.stdout()).isEqualTo("rotating-new-value\n");
        }
        assertThat(backend.template("rotating").orElseThrow().bakedVersions())
                .containsEntry("POOL_TOKEN", "pool-token@v2");
        // The v1 template's file is gone (its key forgotten) and exactly one new one replaced it.
        List<Path> after = snapshotFiles();
        assertThat(before.stream().filter(p -> !after.contains(p))).hasSize(1);
        assertThat(after.stream().filter(p -> !before.contains(p))).hasSize(1);
    }

    @Test
    void anOversizedHostFrameIsRefusedByTheAgent() throws IOException {
        try (Sandbox sandbox = backend.create(standard())) {
            MicroVmSandbox vm = (MicroVmSandbox) sandbox;
            vm.resume();
            vm.sendRaw(new byte[] {'E', 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});
            assertThatThrownBy(() -> vm.reseed(TIMEOUT))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageEndingWith("its agent failed: frame of 2147483647 bytes exceeds the limit of 1048576 bytes");
        }
    }

    @Test
    void aMalformedHostFrameIsRefusedWithoutEchoingItsContent() throws IOException {
        try (Sandbox sandbox = backend.create(standard())) {
            MicroVmSandbox vm = (MicroVmSandbox) sandbox;
            vm.resume();
            vm.sendRaw(new byte[] {'E', 0, 0, 0, 6, 'n', 'o', '-', 'e', 'q', 's'});
            assertThatThrownBy(() -> vm.reseed(TIMEOUT))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageEndingWith("its agent failed: malformed environment frame of 6 bytes")
                    .message().doesNotContain("no-eqs");
        }
    }

    @Test
    void aGuestThatForgesAnUnknownFrameIsKilledWithAClearError() {
        try (Sandbox sandbox = backend.create(standard())) {
            assertThatThrownBy(() -> run(sandbox, new CollectingSink(), "printf 'Z\\000\\000\\000\\001x' > /dev/ttyS0; sleep 30"))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("agent sent an unknown frame type 0x5a");
            assertThat(((MicroVmSandbox) sandbox).processHandle().isAlive()).isFalse();
        }
    }

    @Test
    void aGuestThatAnnouncesAnOversizedFrameIsKilledWithAClearError() {
        try (Sandbox sandbox = backend.create(standard())) {
            assertThatThrownBy(() -> run(sandbox, new CollectingSink(), "printf 'O\\177\\377\\377\\377' > /dev/ttyS0; sleep 30"))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("agent sent a frame of 2147483647 bytes; the limit is 1048576");
        }
    }

    @Test
    void aLargeOutputArrivesIntactAndAFloodIsStoppedByTheTimeout() {
        try (Sandbox sandbox = backend.create(standard())) {
            CollectingSink sink = new CollectingSink();
            assertThat(run(sandbox, sink, "head -c 200000 /dev/zero | tr '\\0' a").exitCode()).isZero();
            assertThat(sink.stdout()).hasSize(200000).matches("a+");
        }
        try (Sandbox sandbox = backend.create(standard())) {
            CollectingSink sink = new CollectingSink();
            TaskExit exit = sandbox.run(List.of("yes"), Map.of(), sink, Duration.ofSeconds(3));
            assertThat(exit.timedOut()).isTrue();
            assertThat(exit.exitCode()).isEqualTo(137);
            assertThat(sink.stdout()).startsWith("y\ny\n");
            assertThat(((MicroVmSandbox) sandbox).processHandle().isAlive()).isFalse();
        }
    }

    @Test
    void anAgentThatNeverAnswersTimesOutAndItsVmIsKilled() throws IOException {
        GuestImage silent = new ImageBuilder(ImageBuilder.findKernel(ImageBuilder.BOOT).orElseThrow(), ImageBuilder.BUSYBOX,
                "#!/bin/sh\nexec sleep 100000\n".getBytes(UTF_8)).build(dir.resolve("silent-images"));
        MicroVmBackend.Settings settings = MicroVmBackend.Settings.defaults(silent, dir.resolve("silent-state"))
                .withAccel(MicroVmBackend.Accel.TCG).withBootTimeout(Duration.ofSeconds(3));
        try (MicroVmBackend mute = new MicroVmBackend(settings)) {
            assertThatThrownBy(() -> mute.create(standard()))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageMatching("microVM vm-[0-9a-f]+ for 'standard' did not report ready within 3000 ms;"
                            + " QEMU was killed.*");
        }
        assertThat(HostScan.processesWithCmdlineContaining(silent.initramfs().toString().getBytes(UTF_8))).isEmpty();
        try (Stream<Path> left = Files.list(dir.resolve("silent-state/run"))) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void aWorkspaceOverTheLimitIsRefusedAndItsVmKilled() throws IOException {
        Path big = Files.createDirectories(dir.resolve("big-ws"));
        Files.write(big.resolve("blob"), new byte[(16 << 20) + 1]);
        assertThatThrownBy(() -> backend.create(new SandboxSpec("standard", Optional.of(big), false, standard().bakedEnv())))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("stopped while receiving its workspace: the workspace " + big
                        + " is larger than the limit of 16777216 bytes for a microVM (it travels over the serial line)");
    }

    @Test
    void qemuLeftByADeadOrchestratorIsKilledAndItsFilesRemovedAtTheNextStart() throws Exception {
        Path state = dir.resolve("sweep-state");
        Path leftover = Files.createDirectories(state.resolve("run/vm-0123456789ab"));
        Files.writeString(leftover.resolve("owner"), "2147483646 2001-01-01T00:00:00Z");
        Path oldSnapshots = Files.createDirectories(state.resolve("snapshots/b-0123456789ab"));
        Files.write(oldSnapshots.resolve("template-vm-0123456789ab.snap"), new byte[] {1, 2, 3});
        // Stands in for a QEMU whose command line names its run directory.
        Process orphan = new ProcessBuilder("sh", "-c", "sleep 600", leftover + "/qmp.sock").start();
        try {
            new MicroVmBackend(MicroVmBackend.Settings.defaults(image, state).withAccel(MicroVmBackend.Accel.TCG)).close();

            assertThat(orphan.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(leftover).doesNotExist();
            assertThat(oldSnapshots).doesNotExist();
        } finally {
            orphan.destroyForcibly();
        }
    }

    @Test
    void aTaskTypeWithNetworkIsRefusedBecauseTheGuestHasNone() {
        assertThatThrownBy(() -> backend.create(new SandboxSpec("net", Optional.empty(), true, Map.of())))
                .isInstanceOf(SandboxException.class)
                .hasMessage("cannot create a microVM for 'net': microVM sandboxes have no network yet; use sandbox:"
                        + " bubblewrap for task types with network: true");
    }

    @Test
    void theAgentIsTheImagesInit() {
        assertThat(AgentBinary.content()).isNotEmpty();
        assertThat(image.kernel()).isRegularFile();
        assertThat(image.initramfs()).isRegularFile();
    }

    private static List<Path> snapshotFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir.resolve("state/snapshots"))) {
            return files.filter(p -> p.toString().endsWith(".snap")).sorted().toList();
        }
    }

    /** The value as the encodings someone would search a disk for. */
    private static List<byte[]> encodings(String value) {
        byte[] raw = value.getBytes(UTF_8);
        return List.of(raw, Base64.getEncoder().encode(raw), HexFormat.of().formatHex(raw).getBytes(UTF_8),
                HexFormat.of().withUpperCase().formatHex(raw).getBytes(UTF_8),
                value.getBytes(java.nio.charset.StandardCharsets.UTF_16LE), ByteBuffer.wrap(raw).array());
    }
}
