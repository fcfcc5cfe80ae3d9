package io.credpool.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A private PostgreSQL 15 cluster for tests, in a temp dir, listening on 127.0.0.1 at a free port
 * with SCRAM password authentication everywhere; {@link #close()} stops it and deletes it.
 * PostgreSQL refuses to run as root, so as root it runs as the {@code postgres} OS user
 * (runuser). The superuser's password is generated into a file (mode 0600), never put on a
 * command line.
 *
 * <pre>{@code
 * try (PostgresCluster pg = PostgresCluster.start()) {
 *     pg.address();                        // "127.0.0.1:PORT"
 *     pg.superuser();                      // "postgres"; its password: pg.superuserPasswordFile()
 *     pg.execute("CREATE DATABASE app");   // as the superuser, in database postgres
 *     try (Connection c = pg.connect("app")) { ... }
 *     pg.stop(); pg.restart();             // down (connections refused), then up again, data kept
 * }
 * }</pre>
 */
public final class PostgresCluster implements AutoCloseable {
    public static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

    private final Path dir;
    private final Path data;
    private final Path passwordFile;
    private final String password;
    private final int port;
    private boolean running;

    private PostgresCluster(Path dir, String password, int port) {
        this.dir = dir;
        this.data = dir.resolve("data");
        this.passwordFile = dir.resolve("superuser.pw");
        this.password = password;
        this.port = port;
    }

    /** initdb and start; fails in CI or skips elsewhere when PostgreSQL 15 is not installed. */
    public static PostgresCluster start() {
        ExternalTools.require(BIN.resolve("initdb"), "apt-get install postgresql");
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        PostgresCluster pg;
        try {
            pg = new PostgresCluster(Files.createTempDirectory("credpool-pg"), Base64.getUrlEncoder().withoutPadding().encodeToString(random),
                    ExternalTools.freePort());
            Files.writeString(pg.passwordFile, pg.password + "\n", StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(pg.passwordFile, PosixFilePermissions.fromString("rw-------"));
            if (asRoot()) {
                UserPrincipal postgres = pg.dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
                Files.setOwner(pg.dir, postgres);
                Files.setOwner(pg.passwordFile, postgres);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot prepare a temp dir for PostgreSQL (is there a 'postgres' OS user?)", e);
        }
        try {
            pg.run("initdb", "-D", pg.data.toString(), "-U", "postgres", "--pwfile=" + pg.passwordFile, "--auth=scram-sha-256",
                    "-E", "UTF8", "--no-sync", "--no-instructions");
            pg.restart();
            return pg;
        } catch (RuntimeException e) {
            pg.close();
            throw e;
        }
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** host:port, as an issuer's address setting. */
    public String address() {
        return host() + ":" + port;
    }

    public String superuser() {
        return "postgres";
    }

    /** The superuser's password, one line, mode 0600: for an issuer's admin_password_file. */
    public Path superuserPasswordFile() {
        return passwordFile;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + address() + "/" + database;
    }

    /** A superuser connection to {@code database}. */
    public Connection connect(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", superuser());
        p.setProperty("password", password);
        p.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(jdbcUrl(database), p);
    }

    /** Runs statements as the superuser in database postgres (CREATE DATABASE cannot run in a transaction: autocommit). */
    public void execute(String... sql) {
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on the test cluster: " + e.getMessage(), e);
        }
    }

    /** Starts the cluster (again, after {@link #stop()}), on the same port, with its data. */
    public synchronized void restart() {
        if (running) {
            return;
        }
        run("pg_ctl", "-D", data.toString(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "30",
                "-o", "-c listen_addresses=127.0.0.1 -p " + port + " -k " + dir + " -c fsync=off", "start");
        running = true;
    }

    /** Stops the cluster (fast shutdown): connections are refused until {@link #restart()}. */
    public synchronized void stop() {
        if (!running) {
            return;
        }
        run("pg_ctl", "-D", data.toString(), "-m", "fast", "-w", "-t", "30", "stop");
        running = false;
    }

    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            ExternalTools.deleteTree(dir);
        }
    }

    private void run(String program, String... args) {
        List<String> command = new ArrayList<>();
        if (asRoot()) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(BIN.resolve(program).toString());
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(program + " did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(program + " failed (exit " + p.exitValue() + "): " + out + serverLog());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + program, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + program, e);
        }
    }

    private String serverLog() {
        try {
            return "\nserver log:\n" + Files.readString(dir.resolve("server.log"));
        } catch (IOException e) {
            return "";
        }
    }

    private static boolean asRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
