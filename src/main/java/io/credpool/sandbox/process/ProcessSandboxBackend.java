package io.credpool.sandbox.process;

import io.credpool.sandbox.HostDirs;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxBackend;
import io.credpool.sandbox.SandboxException;
import io.credpool.sandbox.SandboxSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each sandbox as a local process tree around the guest agent: under bubblewrap (namespaces,
 * read-only system, tmpfs workspace), under unshare (pid, mount, ipc, uts and net namespaces only),
 * or bare when unsandboxed runs are allowed. Build one with {@link ProcessSandboxFactory}.
 */
public final class ProcessSandboxBackend implements SandboxBackend {
    private static final Logger log = LoggerFactory.getLogger(ProcessSandboxBackend.class);

    /** How strongly the task is isolated from the host. */
    public enum Mode {
        /** bubblewrap: all namespaces, read-only /usr, tmpfs root, /tmp and /workspace; no host dirs. */
        BUBBLEWRAP("bubblewrap", "bwrap"),
        /**
         * unshare(1): own pid, mount, ipc, uts and (without network) net namespace, but the host's
         * file system is visible and writable as the user credpool runs as, and the workspace is a
         * private directory on the host's disk. Weaker than bubblewrap; for hosts without it.
         */
        UNSHARE("unshare", "unshare"),
        /** No isolation at all: the agent is a plain child process. Only where a task type allows it. */
        UNSANDBOXED("unsandboxed", null);

        private final String label;
        private final String program;

        Mode(String label, String program) {
            this.label = label;
            this.program = program;
        }

        /** The host program this mode needs on PATH, if any. */
        public Optional<String> program() {
            return Optional.ofNullable(program);
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** Where bubblewrap mounts things inside the sandbox. */
    static final String SANDBOX_AGENT = "/.credpool/agent";
    static final String SANDBOX_SOURCE = "/.credpool/src";
    static final String SANDBOX_WORKSPACE = "/workspace";

    /** Host directories that programs expect to find at the root; absent ones are skipped. */
    private static final List<String> ROOT_LINKS = List.of("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32");
    /** Harmless pieces of /etc that ordinary tools need (user names, the linker cache, alternatives). */
    private static final List<String> ETC_ALWAYS = List.of(
            "/etc/passwd", "/etc/group", "/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime");
    /** What name resolution and TLS need when the task has a network. */
    private static final List<String> ETC_NETWORK = List.of(
            "/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf",
            "/etc/services", "/etc/protocols", "/etc/ssl", "/etc/ca-certificates", "/etc/pki");

    private final Mode mode;
    private final Path launcher;
    private final Path agent;
    private final Duration startupTimeout;
    private final Path tempRoot;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param launcher absolute path of bwrap or unshare; ignored for {@link Mode#UNSANDBOXED}
     * @param agent the extracted agent executable
     * @param tempRoot where host-side workspaces are made (unshare and unsandboxed modes)
     */
    ProcessSandboxBackend(Mode mode, Path launcher, Path agent, Duration startupTimeout, Path tempRoot) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.launcher = mode == Mode.UNSANDBOXED ? null : Objects.requireNonNull(launcher, "launcher");
        this.agent = Objects.requireNonNull(agent, "agent");
        this.startupTimeout = Objects.requireNonNull(startupTimeout, "startupTimeout");
        this.tempRoot = Objects.requireNonNull(tempRoot, "tempRoot");
    }

    @Override
    public String name() {
        return mode.toString();
    }

    public Mode mode() {
        return mode;
    }

    @Override
    public Sandbox create(SandboxSpec spec) {
        Objects.requireNonNull(spec, "spec");
        if (spec.workspace().isPresent() && !Files.isDirectory(spec.workspace().get())) {
            throw new SandboxException("cannot create a " + mode + " sandbox for '" + spec.label()
                    + "': the workspace " + spec.workspace().get() + " is not a directory");
        }
        if (mode == Mode.UNSANDBOXED && !spec.network()) {
            log.warn("sandbox for '{}' runs unsandboxed: the task has the host's network although its spec has none",
                    spec.label());
        }
        String id = "sbx-" + HexFormat.of().formatHex(nextId());
        Optional<Path> hostDir = mode == Mode.BUBBLEWRAP ? Optional.empty() : Optional.of(makeHostDir(id));
        ProcessSandbox sandbox;
        try {
            sandbox = ProcessSandbox.start(id, spec.label(), mode, command(spec, hostDir), hostDir);
        } catch (SandboxException e) {
            hostDir.ifPresent(HostDirs::deleteTree);
            throw e;
        }
        try {
            sandbox.awaitReady(startupTimeout);
            sandbox.inject(spec.bakedEnv());
        } catch (RuntimeException e) {
            sandbox.close();
            throw e;
        }
        log.debug("sandbox {} ({}) for '{}' is ready", id, mode, spec.label());
        return sandbox;
    }

    private byte[] nextId() {
        byte[] b = new byte[6];
        random.nextBytes(b);
        return b;
    }

    private Path makeHostDir(String id) {
        try {
            return Files.createTempDirectory(tempRoot, "credpool-" + id + "-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new SandboxException("cannot create a workspace directory for sandbox " + id + " under "
                    + tempRoot + ": " + e.getMessage(), e);
        }
    }

    /** The full command line; it carries paths and flags only, never a value. */
    List<String> command(SandboxSpec spec, Optional<Path> hostDir) {
        List<String> cmd = new ArrayList<>();
        switch (mode) {
            case BUBBLEWRAP -> {
                cmd.addAll(bubblewrapIsolation(spec));
                spec.workspace().ifPresent(ws -> cmd.addAll(List.of("--ro-bind", ws.toString(), SANDBOX_SOURCE)));
                cmd.addAll(List.of("--ro-bind", agent.toString(), SANDBOX_AGENT, "--chdir", "/", SANDBOX_AGENT));
                if (spec.workspace().isPresent()) {
                    cmd.addAll(List.of("--workspace-from", SANDBOX_SOURCE));
                }
                cmd.addAll(List.of("--workspace", SANDBOX_WORKSPACE));
            }
            case UNSHARE -> {
                cmd.add(launcher.toString());
                // --kill-child: if unshare dies, the agent (PID 1 of the new namespace) and so
                // everything in the namespace dies with it.
                cmd.addAll(List.of("--fork", "--pid", "--mount-proc", "--kill-child", "--ipc", "--uts"));
                if (!spec.network()) {
                    cmd.add("--net");
                }
                addAgent(cmd, spec, hostDir.orElseThrow());
            }
            case UNSANDBOXED -> addAgent(cmd, spec, hostDir.orElseThrow());
        }
        return cmd;
    }

    /**
     * bwrap and its isolation flags, up to where the agent is added: also what the benchmark's
     * bare-bubblewrap baseline runs, so that the two differ only by credpool's own work.
     */
    public List<String> bubblewrapIsolation(SandboxSpec spec) {
        if (mode != Mode.BUBBLEWRAP) {
            throw new IllegalStateException("not a bubblewrap backend: " + mode);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher.toString());
        cmd.addAll(List.of("--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--clearenv", "--hostname", "credpool"));
        if (spec.network()) {
            cmd.add("--share-net");
        }
        cmd.addAll(List.of("--ro-bind", "/usr", "/usr"));
        for (String dir : ROOT_LINKS) {
            addRootDir(cmd, Path.of(dir));
        }
        for (String etc : ETC_ALWAYS) {
            cmd.addAll(List.of("--ro-bind-try", etc, etc));
        }
        if (spec.network()) {
            for (String etc : ETC_NETWORK) {
                cmd.addAll(List.of("--ro-bind-try", etc, etc));
            }
        }
        cmd.addAll(List.of("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", SANDBOX_WORKSPACE));
        return cmd;
    }

    private void addAgent(List<String> cmd, SandboxSpec spec, Path workspace) {
        cmd.add(agent.toString());
        spec.workspace().ifPresent(ws -> cmd.addAll(List.of("--workspace-from", ws.toAbsolutePath().toString())));
        cmd.addAll(List.of("--workspace", workspace.toString()));
    }

    /** Mirrors the host's layout: merged-/usr hosts have symlinks, older ones real directories. */
    private static void addRootDir(List<String> cmd, Path dir) {
        try {
            if (Files.isSymbolicLink(dir)) {
                cmd.addAll(List.of("--symlink", Files.readSymbolicLink(dir).toString(), dir.toString()));
            } else if (Files.isDirectory(dir)) {
                cmd.addAll(List.of("--ro-bind", dir.toString(), dir.toString()));
            }
        } catch (IOException e) {
            throw new SandboxException("cannot read the host's " + dir + " to mirror it into the sandbox: "
                    + e.getMessage(), e);
        }
    }
}
