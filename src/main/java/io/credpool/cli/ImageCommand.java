package io.credpool.cli;

import io.credpool.sandbox.AgentBinary;
import io.credpool.sandbox.SandboxException;
import io.credpool.sandbox.microvm.GuestImage;
import io.credpool.sandbox.microvm.ImageBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** `credpool image`: builds and shows the microVM guest image. */
@Command(name = "image", mixinStandardHelpOptions = true,
        description = "Build or show the guest image that `sandbox: microvm` task types boot.",
        subcommands = {ImageCommand.Build.class, ImageCommand.Show.class})
final class ImageCommand {
    @ParentCommand
    Main main;

    @Command(name = "build", mixinStandardHelpOptions = true,
            description = {"Assemble the microVM guest in $CREDPOOL_HOME/images: the host's Debian cloud kernel and an",
                "initramfs of busybox-static with the credpool agent as /init. Content-addressed: rebuilding an",
                "unchanged guest changes nothing. Needs: apt-get install --no-install-recommends qemu-system-x86",
                "linux-image-cloud-amd64 busybox-static"})
    static final class Build implements Callable<Integer> {
        @ParentCommand
        ImageCommand image;
        @Spec
        CommandSpec spec;

        @Option(names = "--kernel", paramLabel = "FILE", description = "kernel (default: newest /boot/vmlinuz-*-cloud-amd64)")
        Path kernel;

        @Option(names = "--busybox", paramLabel = "FILE", description = "static busybox (default: /bin/busybox)")
        Path busybox;

        @Override
        public Integer call() {
            Path k = kernel != null ? kernel : ImageBuilder.findKernel(Path.of("/boot")).orElseThrow(() ->
                    new SandboxException("no Debian cloud kernel (vmlinuz-*-cloud-amd64) in /boot: apt-get install"
                            + " --no-install-recommends linux-image-cloud-amd64, or pass --kernel FILE"));
            Path b = busybox != null ? busybox : Path.of("/bin/busybox");
            GuestImage built = new ImageBuilder(k, b, AgentBinary.content()).build(image.main.home().imagesDir());
            PrintWriter out = spec.commandLine().getOut();
            out.println("microVM guest image " + built.id() + " is current");
            print(out, built);
            out.println("task types with `sandbox: microvm` boot it");
            out.flush();
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show the current microVM guest image.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        ImageCommand image;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Path dir = image.main.home().imagesDir();
            GuestImage current = ImageBuilder.current(dir).orElseThrow(() ->
                    new SandboxException("no microVM guest image in " + dir + "; run 'credpool image build'"));
            PrintWriter out = spec.commandLine().getOut();
            out.println("microVM guest image " + current.id());
            print(out, current);
            out.flush();
            return 0;
        }
    }

    private static void print(PrintWriter out, GuestImage image) {
        out.println("  kernel     " + image.kernel() + " (" + size(image.kernel()) + ")");
        out.println("  initramfs  " + image.initramfs() + " (" + size(image.initramfs()) + ")");
    }

    private static String size(Path p) {
        try {
            return String.format("%.1f MiB", Files.size(p) / (1024.0 * 1024.0));
        } catch (IOException e) {
            return "unreadable";
        }
    }
}
