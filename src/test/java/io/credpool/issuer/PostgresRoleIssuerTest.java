package io.credpool.issuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.secrets.SecretValue;
import io.credpool.testing.ExternalTools;
import io.credpool.testing.LogCapture;
import io.credpool.testing.PostgresCluster;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PostgresRoleIssuerTest {
    private static final AtomicInteger BASES = new AtomicInteger();
    private static PostgresCluster pg;

    private final List<String> messages = new ArrayList<>();
    private final List<String> passwords = new ArrayList<>();
    private LogCapture logs;
    private String base;
    private PostgresRoleIssuer issuer;

    @BeforeAll
    static void startPostgres() {
        pg = PostgresCluster.start();
        pg.execute("CREATE DATABASE app");
    }

    @AfterAll
    static void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }

    @BeforeEach
    void newBaseRole() throws SQLException {
        logs = new LogCapture();
        base = "app" + BASES.incrementAndGet();
        pg.execute("CREATE ROLE " + base + " NOLOGIN");
        try (Connection c = pg.connect("app"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + base + "_data (n int)");
            st.execute("INSERT INTO " + base + "_data VALUES (42)");
            st.execute("GRANT SELECT ON " + base + "_data TO " + base);
            st.execute("GRANT CREATE ON SCHEMA public TO " + base);
        }
        issuer = issuer(pg.port(), pg.superuser(), AdminSecret.fromFile(pg.superuserPasswordFile(), "admin password", "test"));
    }

    @AfterEach
    void noValueWasEverShown() {
        logs.close();
        String all = String.join("\n", messages) + "\n" + logs.text();
        for (String p : passwords) {
            assertThat(all).doesNotContain(p).doesNotContain(PostgresRoleIssuer.percentEncode(p));
        }
    }

    @Test
    void createMakesTheOtherRoleLogInWhileTheOldOneStillWorks() throws SQLException {
        SecretValue first = issuer.create("pg-app", "rot-1", proposed(), Optional.empty());
        SecretValue second = issuer.create("pg-app", "rot-2", proposed(), Optional.of(first));

        assertThat(PostgresRoleIssuer.roleOf(first)).isEqualTo(base + "_a");
        assertThat(PostgresRoleIssuer.roleOf(second)).isEqualTo(base + "_b");
        assertThat(select(first)).isEqualTo(42);
        assertThat(select(second)).isEqualTo(42);
        assertThat(second.version()).isEqualTo("rot-2");
    }

    @Test
    void theValueIsALibpqUriWithThePercentEncodedPassword() {
        SecretValue proposed = SecretValue.of("pg-app", "v", "p@ss:w/rd %?".getBytes(StandardCharsets.UTF_8));
        passwords.add("p@ss:w/rd %?");

        SecretValue created = issuer.create("pg-app", "rot-1", proposed, Optional.empty());

        assertThat(created.asEnvironmentValue()).isEqualTo("postgresql://" + base + "_a:p%40ss%3Aw%2Frd%20%25%3F@" + pg.address() + "/app");
        assertThatCode(() -> issuer.verify("pg-app", created)).doesNotThrowAnyException();
    }

    @Test
    void creatingTwiceForTheSameRotationIsIdempotent() throws SQLException {
        SecretValue first = issuer.create("pg-app", "rot-1", proposed(), Optional.empty());
        SecretValue p = proposed();
        SecretValue once = issuer.create("pg-app", "rot-2", p, Optional.of(first));
        SecretValue twice = issuer.create("pg-app", "rot-2", p, Optional.of(first));

        assertThat(twice.sameValueAs(once)).isTrue();
        assertThat(select(twice)).isEqualTo(42);
        assertThat(select(first)).isEqualTo(42);
        assertThat(issuer.create("pg-app", "rot-1", p, Optional.empty()).asEnvironmentValue()).contains(base + "_a:");
    }

    @Test
    void alternatingRolesSwapAToBToAAndTheOldRoleCannotLogInAfterRevoke() throws SQLException {
        SecretValue a1 = issuer.create("pg-app", "rot-1", proposed(), Optional.empty());
        SecretValue b = issuer.create("pg-app", "rot-2", proposed(), Optional.of(a1));
        issuer.verify("pg-app", b);
        issuer.revoke("pg-app", a1);
        assertThat(canLogIn(a1)).isFalse();
        assertThat(canLogIn(b)).isTrue();

        SecretValue a2 = issuer.create("pg-app", "rot-3", proposed(), Optional.of(b));
        issuer.verify("pg-app", a2);
        issuer.revoke("pg-app", b);

        assertThat(PostgresRoleIssuer.roleOf(a2)).isEqualTo(base + "_a");
        assertThat(canLogIn(b)).isFalse();
        assertThat(canLogIn(a1)).isFalse();
        assertThat(select(a2)).isEqualTo(42);
    }

    @Test
    void objectsOneRoleCreatesStayUsableByTheOtherAfterRotation() throws SQLException {
        SecretValue a = issuer.create("pg-app", "rot-1", proposed(), Optional.empty());
        try (Connection c = connect(a); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + base + "_made (n int)");
            st.execute("INSERT INTO " + base + "_made VALUES (7)");
        }
        SecretValue b = issuer.create("pg-app", "rot-2", proposed(), Optional.of(a));
        issuer.revoke("pg-app", a);

        try (Connection c = connect(b); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT n FROM " + base + "_made")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(7);
        }
    }

    @Test
    void verifyPassesForAGoodValueAndIsRejectedForABadOne() {
        SecretValue good = issuer.create("pg-app", "rot-1", proposed(), Optional.empty());
        SecretValue bad = SecretValue.of("pg-app", "v",
                ("postgresql://" + base + "_a:wrong-password@" + pg.address() + "/app").getBytes(StandardCharsets.UTF_8));

        assertThatCode(() -> issuer.verify("pg-app", good)).doesNotThrowAnyException();
        assertThatThrownBy(() -> issuer.verify("pg-app", bad)).isInstanceOfSatisfying(IssuerException.class, e -> {
            messages.add(e.getMessage());
            assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
            assertThat(e.getMessage()).startsWith("credential 'pg-app': PostgreSQL at " + pg.address() + " refused logging in as role '"
                    + base + "_a' (FATAL: password authentication failed for user \"" + base + "_a\"");
        });
    }

    @Test
    void revokeEndsTheOldRolesSessionsAndIsIdempotent() throws SQLException {
        SecretValue a = issuer.create("pg-app", "rot-1", proposed(), Optional.empty());
        SecretValue b = issuer.create("pg-app", "rot-2", proposed(), Optional.of(a));
        try (Connection open = connect(a)) {
            issuer.revoke("pg-app", a);
            issuer.revoke("pg-app", a);

            assertThat(open.isValid(2)).isFalse();
        }
        assertThat(canLogIn(a)).isFalse();
        assertThat(canLogIn(b)).isTrue();
    }

    @Test
    void aLateRevokeOfAnOldValueLeavesARoleThatALaterRotationReusedAlone() throws SQLException {
        SecretValue a1 = issuer.create("pg-app", "rot-1", proposed(), Optional.empty());
        SecretValue b = issuer.create("pg-app", "rot-2", proposed(), Optional.of(a1));
        issuer.revoke("pg-app", a1);
        SecretValue a2 = issuer.create("pg-app", "rot-3", proposed(), Optional.of(b));

        issuer.revoke("pg-app", a1);

        assertThat(canLogIn(a2)).isTrue();
    }

    @Test
    void rotatingAgainBeforeTheOldRoleWasRevokedIsRefused() {
        SecretValue a = issuer.create("pg-app", "rot-1", proposed(), Optional.empty());
        SecretValue b = issuer.create("pg-app", "rot-2", proposed(), Optional.of(a));

        assertThatThrownBy(() -> issuer.create("pg-app", "rot-3", proposed(), Optional.of(b)))
                .isInstanceOfSatisfying(IssuerException.class, e -> {
                    messages.add(e.getMessage());
                    assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
                    assertThat(e.getMessage()).isEqualTo("credential 'pg-app': role " + base + "_a still logs in from an earlier"
                            + " rotation, whose old value was never revoked; finish or abort that rotation (or ALTER ROLE " + base
                            + "_a NOLOGIN) before rotating again");
                });
        assertThat(canLogIn(a)).isTrue();
    }

    @Test
    void aServerThatIsDownIsUnavailableAndTheMessageNamesTheCredential() {
        int port = ExternalTools.freePort();
        PostgresRoleIssuer down = issuer(port, pg.superuser(), AdminSecret.fromFile(pg.superuserPasswordFile(), "admin password", "test"));
        SecretValue some = SecretValue.of("pg-app", "v",
                ("postgresql://" + base + "_a:whatever-password@127.0.0.1:" + port + "/app").getBytes(StandardCharsets.UTF_8));
        passwords.add("whatever-password");

        for (Runnable call : List.<Runnable>of(
                () -> down.create("pg-app", "rot-1", proposed(), Optional.empty()),
                () -> down.verify("pg-app", some),
                () -> down.revoke("pg-app", some))) {
            assertThatThrownBy(call::run).isInstanceOfSatisfying(IssuerException.class, e -> {
                messages.add(e.getMessage());
                assertThat(e.kind()).isEqualTo(IssuerException.Kind.UNAVAILABLE);
                assertThat(e.getMessage()).startsWith("credential 'pg-app': PostgreSQL at 127.0.0.1:" + port + " did not answer while ")
                        .endsWith("; check that it runs and is reachable, then retry");
            });
        }
    }

    @Test
    void anAdminWithoutCreateRoleIsRejected() throws Exception {
        java.nio.file.Path pw = java.nio.file.Files.createTempFile("credpool-weak", ".pw");
        java.nio.file.Files.writeString(pw, "weak-admin-password\n");
        passwords.add("weak-admin-password");
        pg.execute("CREATE ROLE weak_" + base + " LOGIN PASSWORD 'weak-admin-password'");
        PostgresRoleIssuer weak = issuer(pg.port(), "weak_" + base, AdminSecret.fromFile(pw, "admin password", "test"));

        assertThatThrownBy(() -> weak.create("pg-app", "rot-1", proposed(), Optional.empty()))
                .isInstanceOfSatisfying(IssuerException.class, e -> {
                    messages.add(e.getMessage());
                    assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
                    assertThat(e.getMessage()).startsWith("credential 'pg-app': the admin role 'weak_" + base + "' may not do this on"
                            + " PostgreSQL at " + pg.address() + " while creating a login (")
                            .endsWith("); it needs CREATEROLE and pg_signal_backend (or superuser)");
                });
        java.nio.file.Files.delete(pw);
    }

    @Test
    void aWrongAdminPasswordIsRejected() {
        PostgresRoleIssuer wrong = issuer(pg.port(), pg.superuser(), RedisAclIssuerTest.fixed("not-the-superuser-password"));
        passwords.add("not-the-superuser-password");

        assertThatThrownBy(() -> wrong.create("pg-app", "rot-1", proposed(), Optional.empty()))
                .isInstanceOfSatisfying(IssuerException.class, e -> {
                    messages.add(e.getMessage());
                    assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
                    assertThat(e.getMessage()).startsWith("credential 'pg-app': PostgreSQL at " + pg.address()
                            + " refused the admin role 'postgres' (");
                });
    }

    private PostgresRoleIssuer issuer(int port, String admin, AdminSecret secret) {
        return new PostgresRoleIssuer(new PostgresRoleIssuer.Settings("127.0.0.1", port, "app", base, admin, secret, Duration.ofSeconds(5)));
    }

    private SecretValue proposed() {
        String p = "pw-" + java.util.UUID.randomUUID();
        passwords.add(p);
        return SecretValue.of("pg-app", "v", p.getBytes(StandardCharsets.UTF_8));
    }

    private static Connection connect(SecretValue value) throws SQLException {
        String uri = value.asEnvironmentValue();
        String userinfo = uri.substring("postgresql://".length(), uri.lastIndexOf('@'));
        Properties p = new Properties();
        p.setProperty("user", userinfo.substring(0, userinfo.indexOf(':')));
        p.setProperty("password", PostgresRoleIssuer.percentDecode(userinfo.substring(userinfo.indexOf(':') + 1)));
        return DriverManager.getConnection("jdbc:" + uri.substring(0, "postgresql://".length()) + uri.substring(uri.lastIndexOf('@') + 1), p);
    }

    private boolean canLogIn(SecretValue value) {
        try (Connection c = connect(value)) {
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private int select(SecretValue value) throws SQLException {
        try (Connection c = connect(value); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT n FROM " + base + "_data")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
