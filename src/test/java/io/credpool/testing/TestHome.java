package io.credpool.testing;

import io.credpool.app.Credpool;
import io.credpool.app.CredpoolHome;
import io.credpool.app.Initializer;
import io.credpool.secrets.Label;
import io.credpool.secrets.SecretVersion;
import io.credpool.task.Orchestrator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** An initialized credpool home in a temporary directory, with a config written by the test. */
public final class TestHome implements AutoCloseable {
    private final CredpoolHome home;
    private final Credpool credpool;

    public TestHome(Path dir, String configYaml) throws IOException {
        this.home = new CredpoolHome(dir.resolve("home"));
        Initializer.init(home);
        Files.writeString(home.config(), configYaml, StandardCharsets.UTF_8);
        this.credpool = Credpool.open(home);
    }

    private TestHome(CredpoolHome home) {
        this.home = home;
        this.credpool = Credpool.open(home);
    }

    /** Opens the home a {@code TestHome} created in {@code dir} before, as a restarted process would. */
    public static TestHome reopen(Path dir) {
        return new TestHome(new CredpoolHome(dir.resolve("home")));
    }

    public CredpoolHome home() {
        return home;
    }

    public Credpool credpool() {
        return credpool;
    }

    public Orchestrator orchestrator() {
        return credpool.orchestrator(null);
    }

    public SecretVersion put(String name, String value) {
        return credpool.secrets().put(name, value.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty());
    }

    @Override
    public void close() {
        credpool.close();
    }
}
