package io.credpool.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The orchestrator's state database (secrets, audit log, ...): JDBC through HikariCP, schema by
 * Flyway from {@code classpath:db/migration}.
 *
 * <p><b>Why SQLite and not H2.</b> Both were tried against the three requirements:
 * <ul>
 *   <li><i>A second process reads and writes while a server holds the store open.</i> An H2 file
 *       database is locked by the first JVM that opens it; a second JVM fails with
 *       "Database may be already in use" (measured with H2 2.3.232). H2's way around that,
 *       {@code AUTO_SERVER=TRUE}, turns the first process into a TCP server for the others, so
 *       the CLI's writes would depend on the server process staying alive mid-transaction and a
 *       loopback port would be open. SQLite coordinates processes with file locks: any number of
 *       processes open the same file, WAL lets readers run beside the one writer, and
 *       {@code BEGIN IMMEDIATE} plus a busy timeout queues writers instead of failing them.
 *   <li><i>kill -9 mid-write never leaves the store corrupt or half-written.</i> SQLite's WAL
 *       commit is atomic by design (a transaction is in the database once its commit frame is in
 *       the WAL, else not at all) and is recovered by the next opener; the crash tests in
 *       {@code CrashSafetyTest} kill writers at random points and reopen the store.
 *   <li><i>Portable SQL.</i> The migrations use only standard types (VARCHAR, INTEGER, BIGINT),
 *       no BLOBs, no engine-specific upserts; binary data is stored as base64 text. Row locks
 *       come from {@code UPDATE} of a counter row, which serializes writers on PostgreSQL as
 *       well as on SQLite, so {@link #fromJdbcUrl} with a PostgreSQL URL is the way to share
 *       the state between several orchestrators (the PostgreSQL driver and
 *       {@code flyway-database-postgresql} must then be added to the build).
 * </ul>
 */
public final class Database implements AutoCloseable {
    /** The database file inside the state directory. */
    public static final String FILE_NAME = "credpool.db";

    private static final Logger log = LoggerFactory.getLogger(Database.class);
    /**
     * How long a writer waits for another process's write transaction before failing. Writes are
     * small and short, so a long wait means something is stuck; 30 s keeps a CLI from hanging.
     */
    private static final int BUSY_TIMEOUT_MILLIS = 30_000;

    private final HikariDataSource dataSource;
    private final String description;

    private Database(HikariDataSource dataSource, String description) {
        this.dataSource = dataSource;
        this.description = description;
    }

    /**
     * Opens (creating if needed) the SQLite database {@value #FILE_NAME} in {@code stateDir},
     * and brings its schema up to date.
     */
    public static Database open(Path stateDir) {
        Objects.requireNonNull(stateDir, "stateDir");
        try {
            // Owner-only: the files hold ciphertext, secret names and the audit trail.
            Files.createDirectories(stateDir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new StoreException("cannot create the state directory " + stateDir + ": " + e
                    + "; check that its parent exists and is writable", e);
        }
        Path file = stateDir.resolve(FILE_NAME).toAbsolutePath();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:sqlite:" + file);
        // Pragmas are per connection, so they go in as driver properties that every pooled
        // connection is opened with.
        config.addDataSourceProperty("journal_mode", "WAL");
        // FULL: a commit is fsynced before it returns, so an audit record or a secret version
        // that was reported stored survives power loss too, not only a killed process.
        config.addDataSourceProperty("synchronous", "FULL");
        config.addDataSourceProperty("busy_timeout", String.valueOf(BUSY_TIMEOUT_MILLIS));
        // Every transaction takes the write lock when it begins; a read that later upgrades to
        // a write would fail with SQLITE_BUSY instead of waiting, and read-then-write is exactly
        // what compare-and-set and the audit chain do.
        config.addDataSourceProperty("transaction_mode", "IMMEDIATE");
        config.addDataSourceProperty("foreign_keys", "true");
        // SQLite has one writer at a time anyway; a few connections let readers run beside it.
        config.setMaximumPoolSize(4);
        config.setPoolName("credpool-sqlite");
        Path migrationLock = stateDir.resolve(FILE_NAME + ".migrate-lock");
        return start(config, "SQLite database " + file, migrationLock);
    }

    /** Opens the database at a JDBC URL (e.g. PostgreSQL shared by several orchestrators). */
    public static Database fromJdbcUrl(String jdbcUrl, String user, String password) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        config.setPoolName("credpool-db");
        return start(config, "database " + withoutQuery(jdbcUrl), null);
    }

    private static Database start(HikariConfig config, String description, Path migrationLock) {
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreException("cannot open the " + description + ": " + e.getMessage(), e);
        }
        try {
            migrate(ds, migrationLock);
        } catch (RuntimeException e) {
            ds.close();
            throw new StoreException("cannot bring the schema of the " + description
                    + " up to date: " + e.getMessage(), e);
        }
        log.debug("opened the {}", description);
        return new Database(ds, description);
    }

    private static void migrate(DataSource ds, Path migrationLock) {
        Flyway flyway = Flyway.configure().dataSource(ds).locations("classpath:db/migration")
                .load();
        if (migrationLock == null) {
            // Server databases: Flyway takes its own lock in the database.
            flyway.migrate();
            return;
        }
        // Flyway cannot lock an SQLite schema history table, so two processes opening a new
        // store at once could both try to create the tables; a file lock serializes them.
        try (FileChannel ch = FileChannel.open(migrationLock, StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
                FileLock ignored = ch.lock()) {
            flyway.migrate();
        } catch (IOException e) {
            throw new StoreException("cannot lock " + migrationLock + " to migrate the schema: "
                    + e, e);
        }
    }

    private static String withoutQuery(String url) {
        // A URL's query may carry a password; keep it out of messages.
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    /** The pool, for code that manages its own connections. */
    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * Runs {@code work} in one transaction on one connection: committed if it returns, rolled
     * back if it throws. On SQLite the transaction holds the write lock from its start, so the
     * work is serialized with every other writer in every process.
     */
    public <T> T inTransaction(SqlWork<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(c, e);
                throw e;
            }
        }
    }

    /** Runs read-only {@code work} on one connection in auto-commit mode. */
    public <T> T read(SqlWork<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        }
    }

    private static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }

    @Override
    public String toString() {
        return "Database[" + description + "]";
    }

    /** Work on a connection that may fail with an {@link SQLException}. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }
}
