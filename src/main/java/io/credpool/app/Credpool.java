package io.credpool.app;

import io.credpool.audit.AuditLog;
import io.credpool.config.ConfigLoader;
import io.credpool.config.CredpoolConfig;
import io.credpool.secrets.SecretsProvider;
import io.credpool.secrets.SecretsRouter;
import io.credpool.secrets.embedded.EmbeddedSecretsStore;
import io.credpool.secrets.embedded.MasterKey;
import io.credpool.store.Database;
import io.credpool.task.Orchestrator;
import java.nio.file.Path;
import java.time.Clock;

/**
 * One opened credpool installation: the state database, the embedded secrets store, the audit
 * log, and (once a config is loaded) the orchestrator. The CLI and the HTTP API both work
 * through this; neither does any work of its own.
 */
public final class Credpool implements AutoCloseable {
    private final CredpoolHome home;
    private final Database database;
    private final SecretsProvider secrets;
    private final AuditLog audit;
    private final HostSandboxes sandboxes;
    private final java.util.List<SecretsRouter> routers = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Credpool(CredpoolHome home, Database database, SecretsProvider secrets, AuditLog audit) {
        this.home = home;
        this.database = database;
        this.secrets = secrets;
        this.audit = audit;
        this.sandboxes = new HostSandboxes(home.libDir());
    }

    /** Opens an initialized home; fails with a message that says to run `credpool init` otherwise. */
    public static Credpool open(CredpoolHome home) {
        if (!home.isInitialized()) {
            throw new NotInitializedException(home);
        }
        MasterKey key = MasterKey.load(home.masterKey());
        Database db = Database.open(home.stateDir());
        try {
            AuditLog audit = new AuditLog(db);
            return new Credpool(home, db, new EmbeddedSecretsStore(db, key, audit), audit);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    public CredpoolHome home() {
        return home;
    }

    /** The state database: secrets, audit log and (later) rotation journal live in it. */
    public Database database() {
        return database;
    }

    public SecretsProvider secrets() {
        return secrets;
    }

    public AuditLog audit() {
        return audit;
    }

    /**
     * Loads the config (the home's own unless {@code configFile} is given) and builds the
     * orchestrator, with each credential routed to the provider the config names.
     */
    public Orchestrator orchestrator(Path configFile) {
        CredpoolConfig config = ConfigLoader.load(configFile != null ? configFile : home.config());
        return new Orchestrator(config, secretsFor(config), sandboxes, audit, Clock.systemUTC());
    }

    /** The secrets of {@code config}: its external providers, opened now, and the embedded store. */
    public SecretsRouter secretsFor(CredpoolConfig config) {
        SecretsRouter router = new SecretsProviders(System::getenv).open(config, secrets);
        routers.add(router);
        return router;
    }

    @Override
    public void close() {
        for (SecretsRouter r : routers) {
            try {
                r.close();
            } catch (RuntimeException e) {
                // Closing is best effort: the embedded store and the database must still close.
            }
        }
        secrets.close();
        database.close();
    }

    /** The home has no master key yet. */
    public static final class NotInitializedException extends RuntimeException {
        public NotInitializedException(CredpoolHome home) {
            super("credpool is not initialized in " + home.root() + "; run `credpool init` first"
                    + " (or point CREDPOOL_HOME / --home at an initialized directory)");
        }
    }
}
