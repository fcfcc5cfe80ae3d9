package io.credpool.sandbox.microvm;

import io.credpool.sandbox.HostDirs;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxBackend;
import io.credpool.sandbox.SandboxException;
import io.credpool.sandbox.SandboxSpec;
import io.credpool.secrets.SecretValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each sandbox as a QEMU microVM booted from a {@link GuestImage}. The first sandbox of a
 * spec is cold-booted, gets its baked (pool scope) variables, and is snapshotted into an
 * encrypted template; later sandboxes of the same spec are restored from that template and
 * reseeded, which is several times cheaper than a boot. A template whose baked credential
 * versions no longer match the spec is deleted, never restored.
 */
public final class MicroVmBackend implements SandboxBackend {
    private static final Logger log = LoggerFactory.getLogger(MicroVmBackend.class);

    /** How the guest's CPU runs. */
    public enum Accel {
        /** KVM if a probe guest boots with it within the probe timeout, else TCG. */
        AUTO,
        KVM,
        /** QEMU's software emulation: slow but works everywhere, including nested hosts where KVM hangs. */
        TCG
    }

    /** Where snapshot templates are kept; either way never in plaintext on disk. */
    public enum SnapshotStorage {
        /** AES-256-GCM files under the state directory, the key only in memory: small heap, crypto on every restore. */
        ENCRYPTED_FILE,
        /** The orchestrator's heap only: the fastest restore, one guest's memory in the JVM per template. */
        MEMORY
    }

    /**
     * How microVMs are made.
     *
     * @param qemu the qemu-system-x86_64 executable
     * @param memoryMib guest RAM; it is also the upper bound of a snapshot's size
     * @param stateDir where per-VM sockets and the encrypted snapshots live
     * @param snapshots whether to keep templates (false: every sandbox is a cold boot)
     * @param storage where templates are kept
     * @param maxWorkspaceBytes the largest workspace sent over the serial line
     */
    public record Settings(Path qemu, GuestImage image, int memoryMib, Accel accel, Duration bootTimeout,
            Duration restoreTimeout, Duration kvmProbeTimeout, Path stateDir, boolean snapshots, SnapshotStorage storage,
            long maxWorkspaceBytes) {
        public Settings {
            Objects.requireNonNull(qemu, "qemu");
            Objects.requireNonNull(image, "image");
            Objects.requireNonNull(accel, "accel");
            Objects.requireNonNull(stateDir, "stateDir");
            Objects.requireNonNull(storage, "storage");
        }

        /** 256 MiB guests, KVM if it works, snapshots on, a 60 s boot timeout (TCG on a busy host is slow). */
        public static Settings defaults(GuestImage image, Path stateDir) {
            return new Settings(Path.of("/usr/bin/qemu-system-x86_64"), image, 256, Accel.AUTO, Duration.ofSeconds(60),
                    Duration.ofSeconds(30), Duration.ofSeconds(10), stateDir, true, SnapshotStorage.ENCRYPTED_FILE, 16L << 20);
        }

        public Settings withAccel(Accel a) {
            return new Settings(qemu, image, memoryMib, a, bootTimeout, restoreTimeout, kvmProbeTimeout, stateDir,
                    snapshots, storage, maxWorkspaceBytes);
        }

        public Settings withBootTimeout(Duration d) {
            return new Settings(qemu, image, memoryMib, accel, d, restoreTimeout, kvmProbeTimeout, stateDir,
                    snapshots, storage, maxWorkspaceBytes);
        }

        public Settings withSnapshots(boolean on) {
            return new Settings(qemu, image, memoryMib, accel, bootTimeout, restoreTimeout, kvmProbeTimeout, stateDir,
                    on, storage, maxWorkspaceBytes);
        }

        public Settings withStorage(SnapshotStorage s) {
            return new Settings(qemu, image, memoryMib, accel, bootTimeout, restoreTimeout, kvmProbeTimeout, stateDir,
                    snapshots, s, maxWorkspaceBytes);
        }
    }

    /**
     * What a template holds, for the warm pool and for operators: the credential versions baked
     * into its memory, by variable name.
     */
    public record TemplateInfo(String label, Map<String, String> bakedVersions, Instant createdAt) {
        public TemplateInfo {
            bakedVersions = Map.copyOf(bakedVersions);
        }
    }

    /** Identifies what a template was made from; the MAC proves the same values without keeping them. */
    private record TemplateKey(String label, List<String> baked) {
    }

    private record Template(TemplateKey key, TemplateInfo info, Snapshot snapshot) {
    }

    private final Settings settings;
    private final SecureRandom random = new SecureRandom();
    private final byte[] macKey = new byte[32];
    private final Map<String, Template> templates = new ConcurrentHashMap<>();
    private final Map<String, Object> labelLocks = new ConcurrentHashMap<>();
    private final Path runRoot;
    private final Path snapshotDir;
    private final Set<MicroVmSandbox> live = ConcurrentHashMap.newKeySet();
    private final Thread shutdownHook = new Thread(this::killLive, "credpool-microvm-shutdown");
    private volatile Accel resolved;

    public MicroVmBackend(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        random.nextBytes(macKey);
        this.runRoot = settings.stateDir().resolve("run");
        Path snapshotRoot = settings.stateDir().resolve("snapshots");
        // One directory per backend: other orchestrators may share this state directory.
        this.snapshotDir = snapshotRoot.resolve(newId().replace("vm-", "b-"));
        try {
            for (Path dir : List.of(settings.stateDir(), runRoot, snapshotRoot, snapshotDir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            writeOwner(snapshotDir);
        } catch (IOException e) {
            throw new SandboxException("cannot create the microVM state directory " + settings.stateDir() + ": "
                    + e.getMessage(), e);
        }
        if (!Files.isExecutable(settings.qemu())) {
            throw new SandboxException(settings.qemu() + " is not installed: apt-get install --no-install-recommends"
                    + " qemu-system-x86");
        }
        if (!settings.image().isComplete()) {
            throw new SandboxException("the microVM guest image " + settings.image().dir()
                    + " is missing or incomplete: run 'credpool image build'");
        }
        sweepLeftovers();
        // QEMU outlives a JVM that exits without closing us, and a paused guest holds its baked
        // values for as long as it lives: kill them on the way out. (SIGKILL of the JVM is
        // covered by the sweep at the next start.)
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Kills QEMU processes left by an orchestrator that died without closing its backend (found
     * by their run directory on the command line) and removes their directories and snapshots,
     * whose keys died with that process. Directories of live orchestrators are left alone.
     */
    private void sweepLeftovers() {
        try (Stream<Path> dirs = Files.list(runRoot)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                if (ownerAlive(dir)) {
                    continue;
                }
                String marker = dir.toString() + "/";
                ProcessHandle.allProcesses()
                        .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains(marker)).orElse(false))
                        .forEach(p -> {
                            log.warn("killing leftover microVM QEMU process {} of a previous run ({})", p.pid(), dir);
                            p.destroyForcibly();
                        });
                HostDirs.deleteTree(dir);
            }
        } catch (IOException e) {
            log.warn("cannot sweep leftover microVMs in {}: {}", runRoot, e.toString());
        }
        try (Stream<Path> dirs = Files.list(snapshotDir.getParent())) {
            dirs.filter(d -> !ownerAlive(d)).forEach(HostDirs::deleteTree);
        } catch (IOException e) {
            log.warn("cannot remove leftover snapshots in {}: {}", snapshotDir.getParent(), e.toString());
        }
    }

    private static final String OWNER = "owner";

    /** Marks {@code dir} as this JVM's: its pid and start time, so that a reused pid is not mistaken for it. */
    private static void writeOwner(Path dir) throws IOException {
        ProcessHandle me = ProcessHandle.current();
        Files.writeString(dir.resolve(OWNER), me.pid() + " " + me.info().startInstant().map(Instant::toString).orElse("?"));
    }

    private static boolean ownerAlive(Path dir) {
        try {
            String[] owner = Files.readString(dir.resolve(OWNER)).strip().split(" ");
            return ProcessHandle.of(Long.parseLong(owner[0])).filter(ProcessHandle::isAlive)
                    .map(p -> p.info().startInstant().map(Instant::toString).orElse("?").equals(owner[1]))
                    .orElse(false);
        } catch (IOException | RuntimeException e) {
            return false; // no readable owner: a leftover from before owners, or half-made
        }
    }

    private void killLive() {
        live.forEach(MicroVmSandbox::kill);
    }

    @Override
    public String name() {
        return "microvm";
    }

    /** The accelerator in use; probes KVM on first call when set to AUTO. */
    public Accel accel() {
        Accel a = resolved;
        if (a == null) {
            synchronized (this) {
                if (resolved == null) {
                    resolved = probe();
                }
                a = resolved;
            }
        }
        return a;
    }

    /** The template for {@code label}, if one exists. */
    public Optional<TemplateInfo> template(String label) {
        return Optional.ofNullable(templates.get(label)).map(Template::info);
    }

    @Override
    public Sandbox create(SandboxSpec spec) {
        Objects.requireNonNull(spec, "spec");
        if (spec.network()) {
            // The guest has no network device or driver: saying yes would silently run it offline.
            throw new SandboxException("cannot create a microVM for '" + spec.label() + "': microVM sandboxes have no"
                    + " network yet; use sandbox: bubblewrap for task types with network: true");
        }
        if (spec.workspace().isPresent() && !Files.isDirectory(spec.workspace().get())) {
            throw new SandboxException("cannot create a microVM for '" + spec.label() + "': the workspace "
                    + spec.workspace().get() + " is not a directory");
        }
        Accel accel = accel();
        if (!settings.snapshots()) {
            return coldBoot(spec, accel, false);
        }
        TemplateKey key = keyOf(spec);
        Template template;
        synchronized (labelLocks.computeIfAbsent(spec.label(), l -> new Object())) {
            template = templates.get(spec.label());
            if (template != null && !template.key().equals(key)) {
                templates.remove(spec.label());
                template.snapshot().delete();
                log.info("microVM template for '{}' is stale (baked versions {} differ from {}): deleted",
                        spec.label(), template.info().bakedVersions(), versions(spec));
                template = null;
            }
            if (template == null) {
                return coldBoot(spec, accel, true);
            }
        }
        try {
            return restore(spec, accel, template);
        } catch (SandboxException e) {
            if (templates.get(spec.label()) == template) {
                throw e;
            }
            // A rotation replaced the template while we read it (its key is gone): use the new one.
            log.debug("microVM template for '{}' was replaced during a restore; retrying", spec.label());
            return create(spec);
        }
    }

    /** Starts QEMU; its run directory goes with it if it does not start. */
    private MicroVmSandbox launch(String id, Path runDir, SandboxSpec spec, Accel accel, Optional<Path> incoming,
            Duration timeout) {
        try {
            return track(MicroVmSandbox.start(id, spec.label(), command(id, runDir, accel, incoming), runDir,
                    runDir.resolve("qmp.sock"), incoming.isEmpty(), timeout, random));
        } catch (RuntimeException e) {
            HostDirs.deleteTree(runDir);
            throw e;
        }
    }

    private MicroVmSandbox coldBoot(SandboxSpec spec, Accel accel, boolean makeTemplate) {
        String id = newId();
        Path runDir = runDir(id);
        MicroVmSandbox vm = launch(id, runDir, spec, accel, Optional.empty(), settings.bootTimeout());
        try {
            vm.awaitReady(settings.bootTimeout());
            vm.inject(spec.bakedEnv());
            vm.reseed(settings.restoreTimeout());
            if (makeTemplate) {
                Optional<Path> file = settings.storage() == SnapshotStorage.ENCRYPTED_FILE
                        ? Optional.of(snapshotDir.resolve("template-" + id + ".snap")) : Optional.empty();
                Snapshot snapshot = vm.snapshot(file, settings.bootTimeout());
                templates.put(spec.label(), new Template(keyOf(spec),
                        new TemplateInfo(spec.label(), versions(spec), Instant.now()), snapshot));
                log.info("microVM template for '{}' taken ({} MiB, {}, baked versions {})", spec.label(),
                        snapshot.size() >> 20, file.isPresent() ? "encrypted file" : "in memory", versions(spec));
                vm.resume();
                // The template and this VM now share one RNG state: this one must diverge too.
                vm.reseed(settings.restoreTimeout());
            }
            finish(vm, spec);
            return vm;
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
    }

    private MicroVmSandbox restore(SandboxSpec spec, Accel accel, Template template) {
        String id = newId();
        Path runDir = runDir(id);
        Path incoming = runDir.resolve("in.sock");
        long t0 = System.nanoTime();
        MicroVmSandbox vm = launch(id, runDir, spec, accel, Optional.of(incoming), settings.restoreTimeout());
        try {
            long t1 = System.nanoTime();
            vm.restore(template.snapshot(), incoming, settings.restoreTimeout());
            long t2 = System.nanoTime();
            vm.resume();
            vm.reseed(settings.restoreTimeout());
            long t3 = System.nanoTime();
            finish(vm, spec);
            log.debug("microVM {} for '{}' restored: QEMU up {} ms, snapshot loaded {} ms, resumed and reseeded {} ms,"
                    + " workspace, primed and paused {} ms", id, spec.label(), (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000,
                    (t3 - t2) / 1_000_000, (System.nanoTime() - t3) / 1_000_000);
            return vm;
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
    }

    private MicroVmSandbox track(MicroVmSandbox vm) {
        live.add(vm);
        vm.onClose(() -> live.remove(vm));
        return vm;
    }

    /** Workspace in, caches primed, then pause: a pool member waits without using a CPU. */
    private void finish(MicroVmSandbox vm, SandboxSpec spec) {
        if (spec.workspace().isPresent()) {
            vm.sendWorkspace(spec.workspace().get(), settings.maxWorkspaceBytes());
        }
        vm.prime(settings.restoreTimeout()); // its answer also proves the workspace was unpacked
        vm.pause();
    }

    /** The whole QEMU command line: paths and flags only; values go over the serial line. */
    List<String> command(String id, Path runDir, Accel accel, Optional<Path> incoming) {
        List<String> cmd = new ArrayList<>(List.of(settings.qemu().toString(),
                "-name", "credpool-" + id,
                "-M", "microvm,pit=on,pic=on,rtc=on",
                "-accel", accel == Accel.KVM ? "kvm" : "tcg",
                "-cpu", accel == Accel.KVM ? "host" : "max",
                "-m", Integer.toString(settings.memoryMib()),
                "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none",
                "-chardev", "stdio,id=agent,signal=off",
                "-serial", "chardev:agent",
                "-qmp", "unix:" + runDir.resolve("qmp.sock") + ",server=on,wait=off",
                "-kernel", settings.image().kernel().toString(),
                "-initrd", settings.image().initramfs().toString(),
                "-append", kernelCommandLine(accel),
                "-no-reboot"));
        incoming.ifPresent(sock -> cmd.addAll(List.of("-incoming", "unix:" + sock, "-S")));
        return cmd;
    }

    /**
     * The console is the serial line until the agent silences it (quiet keeps boot output short).
     * Under TCG the kernel cannot calibrate the TSC against the PIT on a busy host and hangs, so
     * TCG guests are told the TSC rate instead.
     */
    private static String kernelCommandLine(Accel accel) {
        return "console=ttyS0 panic=-1 edd=off quiet loglevel=1 random.trust_cpu=on init_on_free=1"
                + (accel == Accel.KVM ? "" : " tsc_early_khz=2000000 tsc=reliable");
    }

    private Accel probe() {
        if (settings.accel() != Accel.AUTO) {
            log.info("microVM accelerator: {} (configured)", settings.accel().name().toLowerCase());
            return settings.accel();
        }
        Path kvm = Path.of("/dev/kvm");
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            log.info("microVM accelerator: tcg (/dev/kvm is absent or not accessible)");
            return Accel.TCG;
        }
        // A probe costs up to its timeout, and a CLI run starts a new process each time: remember
        // the verdict for this QEMU, kernel and guest (not secret; delete the file to probe again).
        Path cache = settings.stateDir().resolve("accel-probe");
        String probeKey = settings.qemu() + " " + System.getProperty("os.version") + " " + settings.image().id();
        try {
            if (Files.isRegularFile(cache)) {
                List<String> lines = Files.readAllLines(cache);
                if (lines.size() == 2 && lines.get(0).equals(probeKey)) {
                    Accel cached = Accel.valueOf(lines.get(1));
                    log.info("microVM accelerator: {} (probed earlier; delete {} to probe again)",
                            cached.name().toLowerCase(), cache);
                    return cached;
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // probe again
        }
        Accel verdict = probeKvm();
        try {
            Files.write(cache, List.of(probeKey, verdict.name()));
        } catch (IOException e) {
            log.debug("cannot remember the accelerator probe in {}: {}", cache, e.toString());
        }
        return verdict;
    }

    private Accel probeKvm() {
        // /dev/kvm can exist and still hang every guest (nested hosts): only a boot proves it works.
        String id = newId();
        Path runDir = runDir(id);
        long started = System.nanoTime();
        try (MicroVmSandbox vm = launch(id, runDir, new SandboxSpec("kvm-probe", Optional.empty(), false, Map.of()),
                Accel.KVM, Optional.empty(), settings.kvmProbeTimeout())) {
            vm.awaitReady(settings.kvmProbeTimeout());
            log.info("microVM accelerator: kvm (probe guest ready in {} ms)", (System.nanoTime() - started) / 1_000_000);
            return Accel.KVM;
        } catch (SandboxException e) {
            log.info("microVM accelerator: tcg (a KVM probe guest did not boot: {})", e.getMessage());
            return Accel.TCG;
        }
    }

    private TemplateKey keyOf(SandboxSpec spec) {
        List<String> baked = new ArrayList<>();
        new TreeMap<>(spec.bakedEnv()).forEach((var, value) ->
                baked.add(var + "=" + value.name() + "@" + value.version() + "#" + mac(value)));
        return new TemplateKey(spec.label(), List.copyOf(baked));
    }

    private static Map<String, String> versions(SandboxSpec spec) {
        Map<String, String> v = new TreeMap<>();
        spec.bakedEnv().forEach((var, value) -> v.put(var, value.name() + "@" + value.version()));
        return v;
    }

    /** An in-memory MAC under a per-backend key: a changed value under an unchanged version id still differs. */
    private String mac(SecretValue value) {
        byte[] bytes = value.bytes();
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(macKey, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks HmacSHA256", e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    private String newId() {
        byte[] b = new byte[6];
        random.nextBytes(b);
        return "vm-" + HexFormat.of().formatHex(b);
    }

    /** Linux limits a unix socket path to 107 bytes; QEMU's own message for it is cryptic. */
    private static final int MAX_SOCKET_PATH = 107;

    private Path runDir(String id) {
        Path socket = runRoot.resolve(id).resolve("qmp.sock");
        if (socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            throw new SandboxException("the microVM state directory " + settings.stateDir() + " is too deep for unix"
                    + " sockets (" + socket + " is over " + MAX_SOCKET_PATH + " bytes); use a shorter CREDPOOL_HOME");
        }
        try {
            Path dir = Files.createDirectory(runRoot.resolve(id),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            writeOwner(dir);
            return dir;
        } catch (IOException e) {
            throw new SandboxException("cannot create the run directory of microVM " + id + " under " + runRoot
                    + ": " + e.getMessage(), e);
        }
    }

    /** Kills every microVM it made that is still up and deletes every template (keys forgotten, files removed). */
    @Override
    public void close() {
        live.forEach(MicroVmSandbox::close);
        templates.values().forEach(t -> t.snapshot().delete());
        templates.clear();
        HostDirs.deleteTree(snapshotDir);
        Arrays.fill(macKey, (byte) 0);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway
        }
    }
}
