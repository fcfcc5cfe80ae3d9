package io.credpool.app;

import java.nio.file.Path;

/**
 * The files of one credpool installation: master key, state database, API token, config. Values
 * live only in the encrypted state database; nothing here holds a plaintext secret.
 */
public record CredpoolHome(Path root) {

    /** {@code --home} if given, else $CREDPOOL_HOME, else ~/.credpool. */
    public static CredpoolHome resolve(Path override) {
        if (override != null) {
            return new CredpoolHome(override.toAbsolutePath().normalize());
        }
        String env = System.getenv("CREDPOOL_HOME");
        if (env != null && !env.isBlank()) {
            return new CredpoolHome(Path.of(env).toAbsolutePath().normalize());
        }
        return new CredpoolHome(Path.of(System.getProperty("user.home"), ".credpool"));
    }

    public Path masterKey() {
        return root.resolve("master.key");
    }

    public Path stateDir() {
        return root.resolve("state");
    }

    public Path apiToken() {
        return root.resolve("api.token");
    }

    /** Only the operator's own config is read by default: never one found in a repository. */
    public Path config() {
        return root.resolve("credpool.yaml");
    }

    public Path libDir() {
        return root.resolve("lib");
    }

    /** Guest images for microVM sandboxes, made by `credpool image build`. */
    public Path imagesDir() {
        return root.resolve("images");
    }

    /** Sockets of running microVMs and their encrypted snapshots. */
    public Path microVmStateDir() {
        return stateDir().resolve("microvm");
    }

    public Path logsDir() {
        return root.resolve("logs");
    }

    /** Written by a running `credpool server` so the CLI can find it. */
    public Path serverFile() {
        return root.resolve("server.json");
    }

    public boolean isInitialized() {
        return java.nio.file.Files.exists(masterKey());
    }
}
