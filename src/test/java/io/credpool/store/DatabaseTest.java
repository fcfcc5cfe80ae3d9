package io.credpool.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatabaseTest {
    @TempDir
    Path dir;

    private static int count(Database db, String table) throws Exception {
        return db.read(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*) FROM " + table);
                    ResultSet rs = q.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    @Test
    void openCreatesTheFileAndAppliesEveryMigration() throws Exception {
        try (Database db = Database.open(dir.resolve("state"))) {
            assertThat(dir.resolve("state").resolve(Database.FILE_NAME)).exists();
            assertThat(count(db, "secrets")).isZero();
            assertThat(count(db, "audit_head")).isEqualTo(1);
        }
    }

    @Test
    void aNewStateDirectoryIsOwnerOnly() throws Exception {
        Path state = dir.resolve("new/state");
        Database.open(state).close();
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
    }

    @Test
    void reopeningKeepsTheDataAndDoesNotMigrateTwice() throws Exception {
        Path state = dir.resolve("state");
        try (Database db = Database.open(state)) {
            db.inTransaction(c -> c.createStatement().executeUpdate(
                    "INSERT INTO secrets (name, last_version, created_at) VALUES ('x', 0, 't')"));
        }
        try (Database db = Database.open(state)) {
            assertThat(count(db, "secrets")).isEqualTo(1);
            assertThat(count(db, "audit_head")).isEqualTo(1);
        }
    }

    @Test
    void twoOpenersOfOneFileBothReadAndWrite() throws Exception {
        // Two pools on one file behave like two processes: neither locks the other out.
        Path state = dir.resolve("state");
        try (Database server = Database.open(state); Database cli = Database.open(state)) {
            cli.inTransaction(c -> c.createStatement().executeUpdate(
                    "INSERT INTO secrets (name, last_version, created_at) VALUES ('a', 0, 't')"));
            server.inTransaction(c -> c.createStatement().executeUpdate(
                    "INSERT INTO secrets (name, last_version, created_at) VALUES ('b', 0, 't')"));
            assertThat(count(server, "secrets")).isEqualTo(2);
            assertThat(count(cli, "secrets")).isEqualTo(2);
        }
    }

    @Test
    void aFailedTransactionLeavesNothingBehind() throws Exception {
        try (Database db = Database.open(dir.resolve("state"))) {
            assertThatThrownBy(() -> db.inTransaction(c -> {
                c.createStatement().executeUpdate("INSERT INTO secrets (name, last_version,"
                        + " created_at) VALUES ('a', 0, 't')");
                throw new IllegalStateException("boom");
            })).hasMessage("boom");
            assertThat(count(db, "secrets")).isZero();
        }
    }

    @Test
    void aJdbcUrlCanBeInjected() throws Exception {
        Path file = dir.resolve("elsewhere.db");
        try (Database db = Database.fromJdbcUrl("jdbc:sqlite:" + file, null, null)) {
            assertThat(count(db, "audit_head")).isEqualTo(1);
        }
        assertThat(file).exists();
    }

    @Test
    void anUnusableJdbcUrlGivesAnErrorWithoutItsQuery() {
        assertThatThrownBy(() -> Database.fromJdbcUrl(
                "jdbc:nosuchdriver://host/db?password=hunter2", null, null))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("cannot open the database jdbc:nosuchdriver://host/db: ")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void aStateDirectoryThatCannotBeCreatedGivesAClearError() throws Exception {
        Path blocker = Files.writeString(dir.resolve("not-a-dir"), "x");
        assertThatThrownBy(() -> Database.open(blocker.resolve("state")))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("cannot create the state directory "
                        + blocker.resolve("state"));
    }
}
