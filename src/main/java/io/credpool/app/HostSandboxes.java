package io.credpool.app;

import io.credpool.config.TaskType;
import io.credpool.sandbox.SandboxBackend;
import io.credpool.sandbox.SandboxException;
import io.credpool.sandbox.microvm.ImageBuilder;
import io.credpool.sandbox.microvm.MicroVmBackend;
import io.credpool.sandbox.process.ProcessSandboxBackend;
import io.credpool.sandbox.process.ProcessSandboxBackend.Mode;
import io.credpool.sandbox.process.ProcessSandboxFactory;
import io.credpool.task.Sandboxes;
import io.credpool.task.TaskRefusedException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sandboxes this host can run, chosen per task type: `auto` takes the strongest that works
 * here (probed once per process by starting one), an explicit choice must work or the task is refused.
 */
final class HostSandboxes implements Sandboxes, AutoCloseable {
    private final ProcessSandboxFactory factory;
    private final Map<Mode, ProcessSandboxBackend> backends = new ConcurrentHashMap<>();
    private final Map<Mode, Boolean> works = new ConcurrentHashMap<>();
    private final Path imagesDir;
    private final Path microVmStateDir;
    private MicroVmBackend microVm;

    HostSandboxes(Path libDir, Path imagesDir, Path microVmStateDir) {
        this.factory = new ProcessSandboxFactory(libDir);
        this.imagesDir = imagesDir;
        this.microVmStateDir = microVmStateDir;
    }

    @Override
    public SandboxBackend forType(TaskType type) {
        if (type.sandbox() == io.credpool.config.SandboxChoice.MICROVM) {
            return microVm(type);
        }
        Mode mode = switch (type.sandbox()) {
            case AUTO -> works(Mode.BUBBLEWRAP) ? Mode.BUBBLEWRAP : works(Mode.UNSHARE) ? Mode.UNSHARE
                    : type.allowUnsandboxed() ? Mode.UNSANDBOXED : null;
            case BUBBLEWRAP -> works(Mode.BUBBLEWRAP) ? Mode.BUBBLEWRAP : null;
            case UNSHARE -> works(Mode.UNSHARE) ? Mode.UNSHARE : null;
            case UNSANDBOXED -> Mode.UNSANDBOXED;
            case MICROVM -> throw new IllegalStateException("handled above");
        };
        if (mode == null) {
            throw new TaskRefusedException(TaskRefusedException.Reason.NO_SANDBOX, "task type '" + type.name() + "' needs a "
                    + (type.sandbox() == io.credpool.config.SandboxChoice.AUTO ? "sandbox" : type.sandbox().lower() + " sandbox")
                    + " and none works on this host: install bubblewrap (apt-get install bubblewrap)"
                    + (type.allowUnsandboxed() ? "" : ", or set allow_unsandboxed: true on the task type to run without isolation"));
        }
        try {
            return backends.computeIfAbsent(mode, factory::create);
        } catch (SandboxException e) {
            throw new TaskRefusedException(TaskRefusedException.Reason.NO_SANDBOX, "task type '" + type.name() + "': " + e.getMessage());
        }
    }

    /** One microVM backend per process, so that its snapshot templates are shared by all task types. */
    private synchronized SandboxBackend microVm(TaskType type) {
        if (microVm == null) {
            try {
                microVm = new MicroVmBackend(MicroVmBackend.Settings.defaults(ImageBuilder.current(imagesDir)
                        .orElseThrow(() -> new SandboxException("no microVM guest image in " + imagesDir
                                + "; run 'credpool image build'")), microVmStateDir));
            } catch (SandboxException e) {
                throw new TaskRefusedException(TaskRefusedException.Reason.NO_SANDBOX, "task type '" + type.name()
                        + "' needs a microvm sandbox: " + e.getMessage());
            }
        }
        return microVm;
    }

    /** Deletes the microVM templates: their keys are forgotten with them. */
    @Override
    public synchronized void close() {
        if (microVm != null) {
            microVm.close();
            microVm = null;
        }
    }

    private boolean works(Mode mode) {
        return works.computeIfAbsent(mode, factory::works);
    }
}
