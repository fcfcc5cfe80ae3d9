package io.credpool.issuer;

import io.credpool.secrets.SecretValue;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Properties;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issues PostgreSQL logins by alternating users: a role has only one password, so two login
 * roles {@code <base>_a} and {@code <base>_b}, members of the group role {@code <base>} that holds
 * the privileges, take turns. Rotation sets a new password on the role that tasks are not using
 * and enables its login; the old role keeps working until it is revoked after drain.
 *
 * <p>The value is a libpq URI, {@code postgresql://<role>:<password>@host:port/db} (password
 * percent-encoded), so a task can run {@code psql "$DATABASE_URL"}. Each login role is created
 * with {@code SET role = <base>}, so objects a task creates belong to the group role and stay
 * usable by the other role after the next rotation. Passwords are sent as SCRAM verifiers computed
 * here (pgjdbc's alterUserPassword), so no server log ever holds one in plaintext.
 *
 * <p>The admin needs CREATEROLE (or superuser), and pg_signal_backend to end an old role's
 * sessions at revoke.
 */
public final class PostgresRoleIssuer implements CredentialIssuer {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresRoleIssuer.class);
    private static final String SCHEME = "postgresql://";

    /**
     * @param host the server's host (an IPv6 address in brackets)
     * @param baseRole the group role; the login roles are baseRole_a and baseRole_b
     * @param adminUser a role with CREATEROLE (and pg_signal_backend), or a superuser
     */
    public record Settings(String host, int port, String database, String baseRole, String adminUser, AdminSecret adminPassword,
            Duration timeout) {
        public String address() {
            return host + ":" + port;
        }
    }

    private final Settings s;

    public PostgresRoleIssuer(Settings settings) {
        this.s = settings;
    }

    @Override
    public String kind() {
        return "postgres-role";
    }

    /** The login role the value authenticates as, e.g. app_b; for tests and the rotation record. */
    public static String roleOf(SecretValue value) {
        return parse("?", value).role();
    }

    /**
     * Sets {@code proposed} as the password of the login role that {@code current} does not use and
     * enables its login. The role is marked with the rotation id (its comment), so a second call for
     * the same rotation repeats the same effect while a role still live from another rotation is
     * refused rather than overwritten.
     */
    @Override
    public SecretValue create(String credential, String rotationId, SecretValue proposed, Optional<SecretValue> current) {
        String password = proposed.asEnvironmentValue();
        char[] chars = password.toCharArray();
        try (Connection admin = admin(credential, "creating a login")) {
            ensureRoles(admin);
            String role = nextRole(credential, admin, current, rotationId);
            String marker = "credpool rotation " + rotationId;
            try (Statement st = admin.createStatement()) {
                // The marker first: a crash after it and before LOGIN is recognised as this rotation's.
                st.execute("COMMENT ON ROLE " + ident(role) + " IS '" + admin.unwrap(PGConnection.class).escapeLiteral(marker) + "'");
                admin.unwrap(PGConnection.class).alterUserPassword(role, chars, "scram-sha-256");
                st.execute("ALTER ROLE " + ident(role) + " LOGIN");
            }
            byte[] uri = uri(role, password);
            try {
                return SecretValue.of(credential, rotationId, uri);
            } finally {
                Arrays.fill(uri, (byte) 0);
            }
        } catch (SQLException e) {
            throw failure(credential, "creating a login", e, true);
        } finally {
            Arrays.fill(chars, '\0');
        }
    }

    /** Connects with the value and checks that its role is a member of the group role. */
    @Override
    public void verify(String credential, SecretValue value) {
        Login login = parse(credential, value);
        try (Connection c = connect(login.role(), login.password());
                PreparedStatement st = c.prepareStatement("SELECT pg_has_role(session_user, ?, 'MEMBER')")) {
            st.setString(1, s.baseRole());
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': role '" + login.role()
                            + "' can log in to PostgreSQL at " + s.address() + " but is not a member of '" + s.baseRole()
                            + "', so it lacks the privileges; GRANT " + s.baseRole() + " TO " + login.role(), null);
                }
            }
        } catch (SQLException e) {
            throw failure(credential, "logging in as role '" + login.role() + "'", e, false);
        }
    }

    /**
     * Disables the value's role (NOLOGIN, no password) and ends its sessions, if the value still
     * logs in: a role that meanwhile got a new password from a later rotation is left alone.
     * Ending sessions is safe because rotation revokes only after drain, when no task holds the
     * old value; a replay after a crash ends any sessions left of a role already disabled.
     */
    @Override
    public void revoke(String credential, SecretValue value) {
        Login login = parse(credential, value);
        boolean works;
        try (Connection c = connect(login.role(), login.password())) {
            works = true;
        } catch (SQLException e) {
            if (!isAuthFailure(e)) {
                throw failure(credential, "checking whether role '" + login.role() + "' still logs in", e, false);
            }
            works = false;
        }
        try (Connection admin = admin(credential, "revoking a login")) {
            if (works) {
                try (Statement st = admin.createStatement()) {
                    st.execute("ALTER ROLE " + ident(login.role()) + " NOLOGIN PASSWORD NULL");
                }
            } else if (canLogIn(admin, login.role())) {
                return;
            }
            try (PreparedStatement st = admin.prepareStatement(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = ? AND pid <> pg_backend_pid()")) {
                st.setString(1, login.role());
                try (ResultSet rs = st.executeQuery()) {
                    if (rs.next() && rs.getLong(1) > 0) {
                        LOG.info("credential '{}': ended {} session(s) of revoked role {}", credential, rs.getLong(1), login.role());
                    }
                }
            }
        } catch (SQLException e) {
            throw failure(credential, "revoking role '" + login.role() + "'", e, true);
        }
    }

    private String nextRole(String credential, Connection admin, Optional<SecretValue> current, String rotationId) throws SQLException {
        String a = s.baseRole() + "_a";
        String b = s.baseRole() + "_b";
        String next;
        if (current.isPresent()) {
            String used = parse(credential, current.get()).role();
            if (!used.equals(a) && !used.equals(b)) {
                throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': the current value logs in as"
                        + " role '" + used + "', not " + a + " or " + b + "; alternating users need the current value to use one"
                        + " of them (store one made by this issuer, or rotate with no current value)", null);
            }
            next = used.equals(a) ? b : a;
        } else {
            // Without a current value, take a role nobody can log in with, or the one this rotation already took.
            boolean aLive = canLogIn(admin, a) && !marked(admin, a, rotationId);
            boolean bLive = canLogIn(admin, b) && !marked(admin, b, rotationId);
            if (aLive && bLive) {
                throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': both " + a + " and " + b
                        + " can log in and no current value says which one tasks use; give the current value, or revoke one", null);
            }
            next = aLive ? b : a;
        }
        if (canLogIn(admin, next) && !marked(admin, next, rotationId)) {
            throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': role " + next + " still logs in"
                    + " from an earlier rotation, whose old value was never revoked; finish or abort that rotation (or ALTER ROLE "
                    + next + " NOLOGIN) before rotating again", null);
        }
        return next;
    }

    private void ensureRoles(Connection admin) throws SQLException {
        createIfMissing(admin, s.baseRole(), "CREATE ROLE " + ident(s.baseRole()) + " NOLOGIN");
        for (String role : new String[] {s.baseRole() + "_a", s.baseRole() + "_b"}) {
            createIfMissing(admin, role, "CREATE ROLE " + ident(role) + " NOLOGIN IN ROLE " + ident(s.baseRole()));
            if (!isMember(admin, role)) {
                try (Statement st = admin.createStatement()) {
                    st.execute("GRANT " + ident(s.baseRole()) + " TO " + ident(role));
                }
            }
            try (Statement st = admin.createStatement()) {
                st.execute("ALTER ROLE " + ident(role) + " SET role = " + ident(s.baseRole()));
            }
        }
    }

    private static void createIfMissing(Connection admin, String role, String sql) throws SQLException {
        if (exists(admin, role)) {
            return;
        }
        try (Statement st = admin.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            // duplicate_object: another credpool created it between the check and here.
            if (!"42710".equals(e.getSQLState())) {
                throw e;
            }
        }
    }

    private static boolean exists(Connection c, String role) throws SQLException {
        return queryBoolean(c, "SELECT true FROM pg_roles WHERE rolname = ?", role);
    }

    private static boolean canLogIn(Connection c, String role) throws SQLException {
        return queryBoolean(c, "SELECT rolcanlogin FROM pg_roles WHERE rolname = ?", role);
    }

    private static boolean marked(Connection c, String role, String rotationId) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = ?")) {
            st.setString(1, role);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && ("credpool rotation " + rotationId).equals(rs.getString(1));
            }
        }
    }

    private boolean isMember(Connection c, String role) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT pg_has_role(?, ?, 'MEMBER')")) {
            st.setString(1, role);
            st.setString(2, s.baseRole());
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static boolean queryBoolean(Connection c, String sql, String arg) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, arg);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private Connection admin(String credential, String action) throws SQLException {
        return connect(s.adminUser(), s.adminPassword().read(credential).orElse(null));
    }

    private Connection connect(String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        long seconds = Math.max(1, s.timeout().toSeconds());
        p.setProperty("connectTimeout", Long.toString(seconds));
        p.setProperty("loginTimeout", Long.toString(seconds));
        p.setProperty("socketTimeout", Long.toString(seconds));
        p.setProperty("ApplicationName", "credpool-issuer");
        return DriverManager.getConnection("jdbc:postgresql://" + s.address() + "/" + s.database(), p);
    }

    /** invalid_password, or invalid_authorization_specification (e.g. the role may not log in). */
    private static boolean isAuthFailure(SQLException e) {
        return "28P01".equals(e.getSQLState()) || "28000".equals(e.getSQLState());
    }

    /** Maps a failure to an error naming the credential; PostgreSQL's messages never carry a password. */
    private IssuerException failure(String credential, String action, SQLException e, boolean asAdmin) {
        String prefix = "credential '" + credential + "': ";
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("08") || state.equals("57P03") || state.equals("53300") || state.startsWith("57P0")) {
            return new IssuerException(IssuerException.Kind.UNAVAILABLE, prefix + "PostgreSQL at " + s.address()
                    + " did not answer while " + action + " (" + e.getMessage() + "); check that it runs and is reachable, then retry", e);
        }
        if (asAdmin && isAuthFailure(e)) {
            return new IssuerException(IssuerException.Kind.REJECTED, prefix + "PostgreSQL at " + s.address() + " refused the admin"
                    + " role '" + s.adminUser() + "' (" + e.getMessage() + "); check the issuer's admin_user and admin password "
                    + s.adminPassword(), e);
        }
        if (isAuthFailure(e)) {
            return new IssuerException(IssuerException.Kind.REJECTED, prefix + "PostgreSQL at " + s.address() + " refused "
                    + action + " (" + e.getMessage() + ")", e);
        }
        if (state.equals("42501")) {
            return new IssuerException(IssuerException.Kind.REJECTED, prefix + "the admin role '" + s.adminUser() + "' may not do this"
                    + " on PostgreSQL at " + s.address() + " while " + action + " (" + e.getMessage() + "); it needs CREATEROLE and"
                    + " pg_signal_backend (or superuser)", e);
        }
        return new IssuerException(IssuerException.Kind.REJECTED, prefix + "PostgreSQL at " + s.address() + " failed "
                + action + " (SQLSTATE " + state + ": " + e.getMessage() + ")", e);
    }

    private byte[] uri(String role, String password) {
        String text = SCHEME + role + ":" + percentEncode(password) + "@" + s.address() + "/" + s.database();
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String ident(String name) {
        // Role names are validated by the config (lower case letters, digits, '_'); quoting keeps it so.
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    private record Login(String role, String password) {
    }

    /** Reads role and password back from a value this issuer made; errors never quote it. */
    private static Login parse(String credential, SecretValue value) {
        String text = value.asEnvironmentValue();
        int at = text.lastIndexOf('@');
        if (!text.startsWith(SCHEME) || at < 0) {
            throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': " + value
                    + " is not a postgresql://role:password@host:port/db URI, as this issuer makes", null);
        }
        String userinfo = text.substring(SCHEME.length(), at);
        int colon = userinfo.indexOf(':');
        if (colon <= 0) {
            throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': " + value
                    + " has no role:password in its postgresql:// URI", null);
        }
        return new Login(percentDecode(userinfo.substring(0, colon)), percentDecode(userinfo.substring(colon + 1)));
    }

    static String percentEncode(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return b.toString();
    }

    static String percentDecode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < s.length()) {
            int hi = i + 2 < s.length() && s.charAt(i) == '%' ? Character.digit(s.charAt(i + 1), 16) : -1;
            int lo = hi >= 0 ? Character.digit(s.charAt(i + 2), 16) : -1;
            if (lo >= 0) {
                out.write(hi << 4 | lo);
                i += 3;
            } else {
                int cp = s.codePointAt(i);
                byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
                i += Character.charCount(cp);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
