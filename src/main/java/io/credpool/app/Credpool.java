package io.credpool.app;

import io.credpool.audit.AuditLog;
import io.credpool.config.ConfigLoader;
import io.credpool.config.CredpoolConfig;
import io.credpool.pool.Fingerprinter;
import io.credpool.pool.PoolTuning;
import io.credpool.pool.WarmPools;
import io.credpool.secrets.NotifyingSecretsProvider;
import io.credpool.secrets.SecretsProvider;
import io.credpool.secrets.SecretsRouter;
import io.credpool.secrets.embedded.EmbeddedSecretsStore;
import io.credpool.secrets.embedded.MasterKey;
import io.credpool.store.Database;
import io.credpool.task.Orchestrator;
import java.nio.file.Path;
import io.micrometer.core.instrument.MeterRegistry;
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
    private final Fingerprinter fingerprinter;
    private final io.credpool.rotation.JournalCipher journalCipher;
    private final java.util.List<SecretsRouter> routers = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Credpool(CredpoolHome home, Database database, SecretsProvider secrets, AuditLog audit, Fingerprinter fingerprinter,
            io.credpool.rotation.JournalCipher journalCipher) {
        this.journalCipher = journalCipher;
        this.home = home;
        this.database = database;
        // Writes through this process tell the warm pools at once; see CurrentVersions for other processes.
        this.secrets = new NotifyingSecretsProvider(secrets);
        this.audit = audit;
        this.sandboxes = new HostSandboxes(home.libDir(), home.imagesDir(), home.microVmStateDir());
        this.fingerprinter = fingerprinter;
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
            // The fingerprint key is derived from the master key (HKDF), not a file of its own:
            // nothing more to back up or protect, and it changes when the master key does.
            byte[] fingerprintKey = key.derive(Fingerprinter.KEY_PURPOSE, 32);
            Fingerprinter fingerprinter;
            try {
                fingerprinter = new Fingerprinter(fingerprintKey);
            } finally {
                java.util.Arrays.fill(fingerprintKey, (byte) 0);
            }
            byte[] journalKey = key.derive(io.credpool.rotation.JournalCipher.KEY_PURPOSE, 32);
            io.credpool.rotation.JournalCipher cipher;
            try {
                cipher = new io.credpool.rotation.JournalCipher(journalKey);
            } finally {
                java.util.Arrays.fill(journalKey, (byte) 0);
            }
            return new Credpool(home, db, new EmbeddedSecretsStore(db, key, audit), audit, fingerprinter, cipher);
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

    /** The rotation journal in the state database; values in it are encrypted under a key derived from the master key. */
    public io.credpool.rotation.RotationJournal rotationJournal() {
        return new io.credpool.rotation.RotationJournal(database, journalCipher, Clock.systemUTC());
    }

    /** The sandbox backends this host offers, per task type. */
    public io.credpool.task.Sandboxes sandboxes() {
        return sandboxes;
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

    /**
     * The orchestrator of a long-lived server: warm pools for every task type with {@code pool:},
     * started now and filled in the background; closing the orchestrator closes them.
     */
    public Orchestrator serverOrchestrator(Path configFile, MeterRegistry metrics) {
        CredpoolConfig config = ConfigLoader.load(configFile != null ? configFile : home.config());
        // Pools check versions with the same routing as tasks, so a Vault-held pool credential is checked in Vault.
        NotifyingSecretsProvider routed = new NotifyingSecretsProvider(secretsFor(config));
        WarmPools pools = WarmPools.start(config, sandboxes::forType, routed, fingerprinter, metrics, PoolTuning.defaults(),
                Clock.systemUTC());
        return new Orchestrator(config, routed, sandboxes, audit, Clock.systemUTC(), pools, metrics);
    }

    /**
     * The rotations of {@code orchestrator}'s config, run beside it.
     *
     * @param server true in `credpool server` (every task and session of the installation runs in
     *     this orchestrator, so the drain can see all holders); false in a one-shot CLI
     * @param confirm how a manual issuer asks the operator to confirm a revocation
     */
    public io.credpool.rotation.RotationService rotations(Orchestrator orchestrator, boolean server,
            io.credpool.issuer.ManualIssuer.Confirmation confirm) {
        CredpoolConfig config = orchestrator.config();
        io.credpool.issuer.Issuers issuers = new io.credpool.issuer.Issuers(System::getenv, confirm);
        java.util.Map<String, io.credpool.issuer.CredentialIssuer> open = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.function.Function<String, io.credpool.issuer.CredentialIssuer> lookup = name -> open.computeIfAbsent(name,
                n -> issuers.open(config, n).orElseThrow(() -> new io.credpool.rotation.RotationException("credential '" + n
                        + "' has no issuer in " + config.source().getFileName() + ", so credpool cannot create or revoke it;"
                        + " add credentials: {" + n + ": {issuer: {kind: ...}}} (redis-acl, postgres-role, http-api-key or manual;"
                        + " see docs/issuers.md)")));
        io.credpool.rotation.RotationRunner runner = new io.credpool.rotation.RotationRunner(rotationJournal(), orchestrator.secrets(),
                lookup, new io.credpool.rotation.OrchestratorFleet(orchestrator, server), audit, config, Clock.systemUTC(),
                java.time.Duration.ofMillis(200), java.time.Duration.ofMinutes(15), io.credpool.rotation.RotationHook.NONE);
        return new io.credpool.rotation.RotationService(runner, config, orchestrator.secrets(), Clock.systemUTC());
    }

    @Override
    public void close() {
        sandboxes.close();
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
