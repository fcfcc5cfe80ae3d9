package io.credpool.sandbox.process;

import io.credpool.sandbox.AgentBinary;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxException;
import io.credpool.sandbox.SandboxSpec;
import io.credpool.sandbox.process.ProcessSandboxBackend.Mode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds {@link ProcessSandboxBackend}s: finds bwrap or unshare on the search path, proves that
 * they actually work on this host by starting a sandbox, and picks the strongest mode that does.
 */
public final class ProcessSandboxFactory {
    private static final Logger log = LoggerFactory.getLogger(ProcessSandboxFactory.class);

    public static final Duration DEFAULT_STARTUP_TIMEOUT = Duration.ofSeconds(10);

    private final Path agentCacheDir;
    private final String searchPath;
    private final Duration startupTimeout;
    private final Path tempRoot;

    /** Uses the JVM's PATH, a 10 s startup timeout and java.io.tmpdir for host-side workspaces. */
    public ProcessSandboxFactory(Path agentCacheDir) {
        this(agentCacheDir, Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin"),
                DEFAULT_STARTUP_TIMEOUT, Path.of(System.getProperty("java.io.tmpdir")));
    }

    /**
     * @param agentCacheDir where the agent is extracted ({@code $CREDPOOL_HOME/lib})
     * @param searchPath where to look for bwrap and unshare, like PATH
     * @param startupTimeout how long a sandbox may take to report ready
     * @param tempRoot where unshare and unsandboxed modes make their private workspace directories
     */
    public ProcessSandboxFactory(Path agentCacheDir, String searchPath, Duration startupTimeout, Path tempRoot) {
        this.agentCacheDir = Objects.requireNonNull(agentCacheDir, "agentCacheDir");
        this.searchPath = Objects.requireNonNull(searchPath, "searchPath");
        this.startupTimeout = Objects.requireNonNull(startupTimeout, "startupTimeout");
        this.tempRoot = Objects.requireNonNull(tempRoot, "tempRoot");
    }

    /**
     * The strongest mode that works here: bubblewrap, else unshare, else unsandboxed if allowed.
     *
     * @throws SandboxException if none does
     */
    public Mode detect(boolean allowUnsandboxed) {
        for (Mode mode : new Mode[] {Mode.BUBBLEWRAP, Mode.UNSHARE}) {
            if (works(mode)) {
                return mode;
            }
        }
        if (allowUnsandboxed) {
            return Mode.UNSANDBOXED;
        }
        throw new SandboxException("no sandbox available: install bubblewrap (apt-get install bubblewrap)"
                + " or allow unsandboxed runs for this task type");
    }

    /** A backend in the strongest mode that works here; see {@link #detect}. */
    public ProcessSandboxBackend create(boolean allowUnsandboxed) {
        return create(detect(allowUnsandboxed));
    }

    /**
     * A backend in the given mode, without probing it.
     *
     * @throws SandboxException if the mode's program is not on the search path
     */
    public ProcessSandboxBackend create(Mode mode) {
        Path launcher = null;
        if (mode.program().isPresent()) {
            String program = mode.program().get();
            launcher = find(program).orElseThrow(() -> new SandboxException("the " + mode + " sandbox needs '"
                    + program + "' on the PATH (" + searchPath + "); install "
                    + (mode == Mode.BUBBLEWRAP ? "bubblewrap (apt-get install bubblewrap)"
                            : "util-linux (apt-get install util-linux)")));
        }
        return new ProcessSandboxBackend(mode, launcher, AgentBinary.extractTo(agentCacheDir), startupTimeout,
                tempRoot);
    }

    /** True when the mode's program is installed and a sandbox of that mode starts here. */
    public boolean works(Mode mode) {
        if (mode.program().isPresent() && find(mode.program().get()).isEmpty()) {
            log.debug("{} is not available: '{}' is not on the PATH", mode, mode.program().get());
            return false;
        }
        try (Sandbox probe = create(mode).create(new SandboxSpec("probe", Optional.empty(), false, Map.of()))) {
            return probe.isReady();
        } catch (SandboxException e) {
            log.info("{} sandboxes do not work on this host: {}", mode, e.getMessage());
            return false;
        }
    }

    /** The executable called {@code program} on the search path, like a shell would find it. */
    public Optional<Path> find(String program) {
        for (String dir : searchPath.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate.toAbsolutePath());
            }
        }
        return Optional.empty();
    }
}
