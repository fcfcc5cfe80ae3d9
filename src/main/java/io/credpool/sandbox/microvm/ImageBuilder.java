package io.credpool.sandbox.microvm;

import io.credpool.sandbox.AgentBinary;
import io.credpool.sandbox.SandboxException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Assembles a {@link GuestImage} from the host's Debian cloud kernel, busybox-static and the
 * credpool agent; `credpool image build` runs it. Building is deterministic and content-addressed,
 * so rebuilding an unchanged guest is a no-op.
 */
public final class ImageBuilder {
    static final Path BOOT = Path.of("/boot");
    static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final String CURRENT = "current";
    private static final String INSTALL_HINT =
            "apt-get install --no-install-recommends qemu-system-x86 linux-image-cloud-amd64 busybox-static";

    private final Path kernel;
    private final Path busybox;
    private final byte[] init;

    /**
     * @param kernel a bzImage; the Debian cloud kernel has the serial driver built in, which the agent needs
     * @param busybox a statically linked busybox: the guest has no shared libraries
     * @param init what runs as /init: the agent, or in tests something that never answers
     */
    public ImageBuilder(Path kernel, Path busybox, byte[] init) {
        this.kernel = kernel;
        this.busybox = busybox;
        this.init = init.clone();
    }

    /** The newest cloud kernel in /boot, /bin/busybox and the agent shipped in the jar. */
    public static ImageBuilder forHost() {
        return new ImageBuilder(findKernel(BOOT).orElseThrow(() -> new SandboxException(
                "no Debian cloud kernel (vmlinuz-*-cloud-amd64) in " + BOOT + ": " + INSTALL_HINT)),
                BUSYBOX, AgentBinary.content());
    }

    /** The newest vmlinuz-*-cloud-amd64 in {@code boot}, if any. */
    public static Optional<Path> findKernel(Path boot) {
        if (!Files.isDirectory(boot)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(boot)) {
            return files.filter(p -> p.getFileName().toString().matches("vmlinuz-.*-cloud-amd64"))
                    .filter(Files::isReadable)
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The image that `credpool image build` last made in {@code imagesDir}. */
    public static Optional<GuestImage> current(Path imagesDir) {
        try {
            Path pointer = imagesDir.resolve(CURRENT);
            if (!Files.isRegularFile(pointer)) {
                return Optional.empty();
            }
            GuestImage image = new GuestImage(imagesDir.resolve(Files.readString(pointer).strip()));
            return image.isComplete() ? Optional.of(image) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Builds the image into {@code imagesDir} (unless an identical one is there) and makes it current.
     *
     * @throws SandboxException naming what is missing and the package that provides it
     */
    public GuestImage build(Path imagesDir) {
        if (!Files.isRegularFile(kernel)) {
            throw new SandboxException("the guest kernel " + kernel + " does not exist: " + INSTALL_HINT);
        }
        if (!Files.isRegularFile(busybox)) {
            throw new SandboxException("busybox is not installed at " + busybox + ": " + INSTALL_HINT);
        }
        try {
            byte[] busyboxBytes = Files.readAllBytes(busybox);
            if (isDynamic(busyboxBytes)) {
                // The guest has no shared libraries; a dynamic busybox would fail at its first exec.
                throw new SandboxException(busybox + " is dynamically linked; the guest needs busybox-static: "
                        + INSTALL_HINT);
            }
            byte[] kernelBytes = Files.readAllBytes(kernel);
            List<String> applets = applets();
            byte[] initramfs = initramfs(busyboxBytes, applets);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(kernelBytes);
            sha.update(initramfs);
            GuestImage image = new GuestImage(imagesDir.resolve("guest-" + HexFormat.of().formatHex(sha.digest(), 0, 8)));
            if (!image.isComplete()) {
                Files.createDirectories(image.dir());
                writeAtomically(image.kernel(), kernelBytes);
                writeAtomically(image.initramfs(), initramfs);
            }
            writeAtomically(imagesDir.resolve(CURRENT), (image.id() + "\n").getBytes(StandardCharsets.US_ASCII));
            return image;
        } catch (IOException e) {
            throw new SandboxException("cannot build the microVM guest image in " + imagesDir + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    /** Every applet path busybox knows (bin/sh, usr/bin/head, ...), so that PATH lookups work. */
    private List<String> applets() throws IOException {
        Process p = new ProcessBuilder(busybox.toString(), "--list-full").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new SandboxException(busybox + " --list-full failed; is it a working busybox? " + INSTALL_HINT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while listing busybox applets");
        }
        return out.lines().map(String::strip).filter(l -> l.matches("[a-z]+(/[a-z]+)*/[^/\\s]+")).toList();
    }

    private byte[] initramfs(byte[] busyboxBytes, List<String> applets) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        // mtime 0 and a fixed order keep the archive, and so the image id, reproducible.
        try (OutputStream gz = new GZIPOutputStream(bytes)) {
            Cpio cpio = new Cpio(gz);
            TreeSet<String> dirs = new TreeSet<>(List.of("bin", "dev", "etc", "proc", "root", "sys", "tmp", "workspace"));
            for (String applet : applets) {
                String rel = applet;
                for (int i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) {
                    dirs.add(rel.substring(0, i));
                }
            }
            for (String dir : dirs) {
                cpio.directory(dir, dir.equals("tmp") ? 01777 : 0755);
            }
            cpio.file("init", 0755, init);
            cpio.file("bin/busybox", 0755, busyboxBytes);
            List<String> links = new ArrayList<>(applets);
            links.sort(null);
            for (String applet : links) {
                if (!applet.equals("bin/busybox")) {
                    cpio.symlink(applet, "/bin/busybox");
                }
            }
            cpio.finish();
        }
        return bytes.toByteArray();
    }

    /** True if the ELF has a program interpreter (PT_INTERP), i.e. needs the dynamic linker. */
    static boolean isDynamic(byte[] elf) {
        if (elf.length < 64 || elf[0] != 0x7f || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F' || elf[4] != 2) {
            return false;
        }
        long phoff = le(elf, 0x20, 8);
        int phentsize = (int) le(elf, 0x36, 2);
        int phnum = (int) le(elf, 0x38, 2);
        for (int i = 0; i < phnum; i++) {
            long at = phoff + (long) i * phentsize;
            if (at + 4 <= elf.length && le(elf, (int) at, 4) == 3) {
                return true;
            }
        }
        return false;
    }

    private static long le(byte[] b, int at, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xff);
        }
        return v;
    }

    private static void writeAtomically(Path target, byte[] content) throws IOException {
        Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            Files.write(temp, content);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
