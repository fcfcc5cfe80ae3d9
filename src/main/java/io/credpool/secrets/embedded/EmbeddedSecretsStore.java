package io.credpool.secrets.embedded;

import io.credpool.audit.AuditEvent;
import io.credpool.audit.AuditEventKind;
import io.credpool.audit.AuditLog;
import io.credpool.secrets.Label;
import io.credpool.secrets.ProviderUnavailableException;
import io.credpool.secrets.SecretNotFoundException;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.SecretsProvider;
import io.credpool.secrets.VersionConflictException;
import io.credpool.store.Database;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default secrets provider: versioned secrets in the state database, each value encrypted
 * with AES-256-GCM under the {@link MasterKey}.
 *
 * <p>Every value gets a fresh random 96-bit nonce, and its associated data binds the ciphertext
 * to (secret name, version id), so a row copied onto another secret or version fails to
 * decrypt. Writes run in one transaction that first bumps the secret's version counter; that
 * update is the per-secret lock (the write lock on SQLite, a row lock on PostgreSQL), so
 * compare-and-set, version numbering and label moves are atomic across threads and processes.
 * Each write appends its audit record in the same transaction.
 *
 * <p>{@link #close()} leaves the {@link Database} open: whoever opened it owns it.
 */
public final class EmbeddedSecretsStore implements SecretsProvider {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedSecretsStore.class);

    /** Names become env-var sources, file names and CLI arguments: keep them boring. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,127}");
    private static final Pattern VERSION_ID = Pattern.compile("v([1-9][0-9]{0,8})");
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final byte[] AAD_DOMAIN =
            "credpool-embedded-secret-v1".getBytes(StandardCharsets.UTF_8);

    private final Database db;
    private final MasterKey key;
    private final AuditLog audit;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public EmbeddedSecretsStore(Database db, MasterKey key, AuditLog audit) {
        this(db, key, audit, Clock.systemUTC());
    }

    public EmbeddedSecretsStore(Database db, MasterKey key, AuditLog audit, Clock clock) {
        this.db = Objects.requireNonNull(db, "db");
        this.key = Objects.requireNonNull(key, "key");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public String kind() {
        return "embedded";
    }

    @Override
    public SecretValue current(String name) {
        checkName(name);
        Row row = read(name, "reading", c -> {
            requireSecret(c, name);
            Optional<Row> r = selectOne(c, "SELECT " + ROW_COLUMNS
                    + " FROM secret_versions WHERE name = ? AND label = ?", name,
                    Label.CURRENT.lower());
            if (r.isEmpty()) {
                throw new SecretNotFoundException(name, "secret '" + name + "' has no current"
                        + " version in the embedded store; list its versions with: credpool"
                        + " secret list --all " + name + " and promote one with: credpool secret"
                        + " promote " + name + " <version>");
            }
            return r.get();
        });
        return decrypt(name, row);
    }

    @Override
    public SecretValue version(String name, String versionId) {
        checkName(name);
        Objects.requireNonNull(versionId, "versionId");
        Row row = read(name, "reading", c -> {
            requireSecret(c, name);
            return findVersion(c, name, versionId).orElseThrow(() -> noVersion(name, versionId));
        });
        return decrypt(name, row);
    }

    @Override
    public Optional<String> currentVersionId(String name) {
        checkName(name);
        return read(name, "reading", c -> selectOne(c, "SELECT " + ROW_COLUMNS
                + " FROM secret_versions WHERE name = ? AND label = ?", name,
                Label.CURRENT.lower()).map(Row::versionId));
    }

    @Override
    public List<SecretVersion> versions(String name) {
        checkName(name);
        return read(name, "listing", c -> {
            requireSecret(c, name);
            return selectVersions(c, "WHERE name = ? ORDER BY version_no DESC", name);
        });
    }

    @Override
    public List<SecretVersion> list() {
        return read(null, "listing", c -> selectVersions(c,
                "ORDER BY name, version_no DESC"));
    }

    @Override
    public SecretVersion put(String name, byte[] value, Label label,
            Optional<String> expectedCurrent) {
        checkName(name);
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(expectedCurrent, "expectedCurrent");
        if (value.length > SecretValue.MAX_BYTES) {
            throw new IllegalArgumentException("secret '" + name + "' is " + value.length
                    + " bytes; the embedded store keeps values of at most " + SecretValue.MAX_BYTES
                    + " bytes (they become environment variables); store a smaller value, or a"
                    + " reference to a file instead");
        }
        SecretVersion stored = write(name, "storing", c -> {
            int versionNo = nextVersionNumber(c, name);
            String current = currentId(c, name);
            checkExpected(name, expectedCurrent, current);
            String versionId = "v" + versionNo;
            Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            byte[] ciphertext = encrypt(name, versionId, nonce, value);
            // Free the label before inserting: UNIQUE (name, label) holds after every statement.
            switch (label) {
                case CURRENT -> {
                    setLabel(c, name, Label.PREVIOUS, null);
                    setLabel(c, name, Label.CURRENT, Label.PREVIOUS);
                }
                case PENDING -> setLabel(c, name, Label.PENDING, null);
                case PREVIOUS -> setLabel(c, name, Label.PREVIOUS, null);
            }
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO secret_versions"
                    + " (name, version_no, label, nonce, ciphertext, created_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?)")) {
                ins.setString(1, name);
                ins.setInt(2, versionNo);
                ins.setString(3, label.lower());
                ins.setString(4, Base64.getEncoder().encodeToString(nonce));
                ins.setString(5, Base64.getEncoder().encodeToString(ciphertext));
                ins.setString(6, now.toString());
                ins.executeUpdate();
            }
            audit.append(c, AuditEvent.of(AuditEventKind.SECRET_PUT)
                    .withCredential(name, versionId)
                    .withDetail("stored as " + label.lower()
                            + (label == Label.CURRENT && current != null
                                    ? "; " + current + " is now previous" : "")));
            return new SecretVersion(name, versionId, Set.of(label), now);
        });
        log.info("stored secret '{}' version {} as {}", name, stored.versionId(),
                label.lower());
        return stored;
    }

    @Override
    public SecretVersion promote(String name, String versionId, Optional<String> expectedCurrent) {
        checkName(name);
        Objects.requireNonNull(versionId, "versionId");
        Objects.requireNonNull(expectedCurrent, "expectedCurrent");
        SecretVersion promoted = write(name, "promoting", c -> {
            lockSecret(c, name);
            Row target = findVersion(c, name, versionId)
                    .orElseThrow(() -> noVersion(name, versionId));
            String current = currentId(c, name);
            checkExpected(name, expectedCurrent, current);
            if (versionId.equals(current)) {
                return toVersion(name, target);
            }
            setLabelOf(c, name, target.versionNo(), null);
            setLabel(c, name, Label.PREVIOUS, null);
            setLabel(c, name, Label.CURRENT, Label.PREVIOUS);
            setLabelOf(c, name, target.versionNo(), Label.CURRENT);
            audit.append(c, AuditEvent.of(AuditEventKind.SECRET_PROMOTED)
                    .withCredential(name, versionId)
                    .withDetail("was " + (target.label() == null ? "unlabelled"
                            : target.label().lower()) + "; now current"
                            + (current == null ? "" : "; " + current + " is now previous")));
            return new SecretVersion(name, versionId, Set.of(Label.CURRENT), target.created());
        });
        log.info("promoted secret '{}' version {} to current", name, versionId);
        return promoted;
    }

    @Override
    public void close() {
        // Nothing to release: the database belongs to whoever opened it.
    }

    @Override
    public String toString() {
        return "EmbeddedSecretsStore[" + db + ", " + key + "]";
    }

    // ---- transactions -------------------------------------------------------------------

    private <T> T read(String name, String doing, Database.SqlWork<T> work) {
        try {
            return db.read(work);
        } catch (SQLException e) {
            throw unavailable(name, doing, e);
        }
    }

    private <T> T write(String name, String doing, Database.SqlWork<T> work) {
        try {
            return db.inTransaction(work);
        } catch (SQLException e) {
            throw unavailable(name, doing, e);
        }
    }

    private static ProviderUnavailableException unavailable(String name, String doing,
            SQLException e) {
        String what = name == null ? "secrets" : "secret '" + name + "'";
        return new ProviderUnavailableException(name, "the embedded store's database failed"
                + " while " + doing + " " + what + ": " + e.getMessage()
                + "; nothing was changed. Check the state directory's disk and permissions,"
                + " then retry", e);
    }

    /** Bumps the version counter, creating the secret on its first put; the per-secret lock. */
    private int nextVersionNumber(Connection c, String name) throws SQLException {
        try (PreparedStatement upd = c.prepareStatement(
                "UPDATE secrets SET last_version = last_version + 1 WHERE name = ?")) {
            upd.setString(1, name);
            if (upd.executeUpdate() == 0) {
                try (PreparedStatement ins = c.prepareStatement(
                        "INSERT INTO secrets (name, last_version, created_at) VALUES (?, 1, ?)")) {
                    ins.setString(1, name);
                    ins.setString(2, clock.instant().toString());
                    ins.executeUpdate();
                }
                return 1;
            }
        }
        try (PreparedStatement q = c.prepareStatement(
                "SELECT last_version FROM secrets WHERE name = ?")) {
            q.setString(1, name);
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /** Locks an existing secret without handing out a version number. */
    private static void lockSecret(Connection c, String name) throws SQLException {
        try (PreparedStatement upd = c.prepareStatement(
                "UPDATE secrets SET last_version = last_version WHERE name = ?")) {
            upd.setString(1, name);
            if (upd.executeUpdate() == 0) {
                throw noSecret(name);
            }
        }
    }

    private static void requireSecret(Connection c, String name) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT 1 FROM secrets WHERE name = ?")) {
            q.setString(1, name);
            try (ResultSet rs = q.executeQuery()) {
                if (!rs.next()) {
                    throw noSecret(name);
                }
            }
        }
    }

    private static String currentId(Connection c, String name) throws SQLException {
        return selectOne(c, "SELECT " + ROW_COLUMNS
                + " FROM secret_versions WHERE name = ? AND label = ?", name,
                Label.CURRENT.lower()).map(Row::versionId).orElse(null);
    }

    private static void checkExpected(String name, Optional<String> expected, String current) {
        if (expected.isEmpty()) {
            return;
        }
        String want = expected.get().isEmpty() ? null : expected.get();
        if (!Objects.equals(want, current)) {
            throw new VersionConflictException(name, want, current);
        }
    }

    private static void setLabel(Connection c, String name, Label from, Label to)
            throws SQLException {
        try (PreparedStatement upd = c.prepareStatement(
                "UPDATE secret_versions SET label = ? WHERE name = ? AND label = ?")) {
            upd.setString(1, to == null ? null : to.lower());
            upd.setString(2, name);
            upd.setString(3, from.lower());
            upd.executeUpdate();
        }
    }

    private static void setLabelOf(Connection c, String name, int versionNo, Label to)
            throws SQLException {
        try (PreparedStatement upd = c.prepareStatement(
                "UPDATE secret_versions SET label = ? WHERE name = ? AND version_no = ?")) {
            upd.setString(1, to == null ? null : to.lower());
            upd.setString(2, name);
            upd.setInt(3, versionNo);
            upd.executeUpdate();
        }
    }

    // ---- rows -----------------------------------------------------------------------------

    private static final String ROW_COLUMNS = "name, version_no, label, nonce, ciphertext,"
            + " created_at";

    /** One stored version, still encrypted. */
    private record Row(String name, int versionNo, Label label, String nonce, String ciphertext,
            Instant created) {
        String versionId() {
            return "v" + versionNo;
        }
    }

    private static Optional<Row> findVersion(Connection c, String name, String versionId)
            throws SQLException {
        var m = VERSION_ID.matcher(versionId);
        if (!m.matches()) {
            return Optional.empty();
        }
        try (PreparedStatement q = c.prepareStatement("SELECT " + ROW_COLUMNS
                + " FROM secret_versions WHERE name = ? AND version_no = ?")) {
            q.setString(1, name);
            q.setInt(2, Integer.parseInt(m.group(1)));
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    private static Optional<Row> selectOne(Connection c, String sql, String... args)
            throws SQLException {
        try (PreparedStatement q = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                q.setString(i + 1, args[i]);
            }
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        }
    }

    private static List<SecretVersion> selectVersions(Connection c, String where, String... args)
            throws SQLException {
        // Metadata only: the ciphertext stays in the database.
        try (PreparedStatement q = c.prepareStatement(
                "SELECT name, version_no, label, created_at FROM secret_versions " + where)) {
            for (int i = 0; i < args.length; i++) {
                q.setString(i + 1, args[i]);
            }
            List<SecretVersion> out = new ArrayList<>();
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    Label label = label(rs.getString(3));
                    out.add(new SecretVersion(rs.getString(1), "v" + rs.getInt(2),
                            label == null ? Set.of() : Set.of(label),
                            Instant.parse(rs.getString(4))));
                }
            }
            return out;
        }
    }

    private static Row row(ResultSet rs) throws SQLException {
        return new Row(rs.getString(1), rs.getInt(2), label(rs.getString(3)), rs.getString(4),
                rs.getString(5), Instant.parse(rs.getString(6)));
    }

    private static Label label(String stored) {
        return stored == null ? null : Label.valueOf(stored.toUpperCase(Locale.ROOT));
    }

    private static SecretVersion toVersion(String name, Row r) {
        return new SecretVersion(name, r.versionId(),
                r.label() == null ? Set.of() : Set.of(r.label()), r.created());
    }

    // ---- crypto ---------------------------------------------------------------------------

    private byte[] encrypt(String name, String versionId, byte[] nonce, byte[] plaintext) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key.secretKey(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(name, versionId));
            return cipher.doFinal(plaintext);
        } catch (GeneralSecurityException e) {
            throw new ProviderUnavailableException(name, "the embedded store cannot encrypt secret '"
                    + name + "' version " + versionId + ": " + e.getClass().getSimpleName()
                    + "; this JDK's AES-GCM is not usable", e);
        }
    }

    private SecretValue decrypt(String name, Row row) {
        String versionId = row.versionId();
        byte[] plaintext = null;
        try {
            byte[] nonce = Base64.getDecoder().decode(row.nonce());
            byte[] ciphertext = Base64.getDecoder().decode(row.ciphertext());
            if (nonce.length != NONCE_BYTES) {
                throw new AEADBadTagException("nonce is " + nonce.length + " bytes");
            }
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key.secretKey(), new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(aad(name, versionId));
            plaintext = cipher.doFinal(ciphertext);
            return SecretValue.of(name, versionId, plaintext);
        } catch (AEADBadTagException | IllegalArgumentException e) {
            throw new ProviderUnavailableException(name, "secret '" + name + "' version "
                    + versionId + " cannot be decrypted: the master key " + key.file()
                    + " is not the key it was stored with, or its row in the database was"
                    + " altered. Restore the original master.key, or store the secret again"
                    + " with: printf '%s' \"$VALUE\" | credpool secret put " + name, e);
        } catch (GeneralSecurityException e) {
            throw new ProviderUnavailableException(name, "the embedded store cannot decrypt"
                    + " secret '" + name + "' version " + versionId + ": "
                    + e.getClass().getSimpleName() + "; this JDK's AES-GCM is not usable", e);
        } finally {
            if (plaintext != null) {
                Arrays.fill(plaintext, (byte) 0);
            }
        }
    }

    /** Binds a ciphertext to its secret and version: a moved row fails authentication. */
    private static byte[] aad(String name, String versionId) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            for (byte[] part : List.of(AAD_DOMAIN, name.getBytes(StandardCharsets.UTF_8),
                    versionId.getBytes(StandardCharsets.UTF_8))) {
                out.writeInt(part.length);
                out.write(part);
            }
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
        return bytes.toByteArray();
    }

    // ---- names and messages -----------------------------------------------------------------

    private static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            // The text is not echoed: a value pasted where a name belongs must not reach a log.
            throw new IllegalArgumentException("invalid secret name (" + name.length()
                    + " characters): a name is 1 to 128 characters of a-z, 0-9, '.', '_' and '-',"
                    + " starting with a letter or digit, e.g. github-token");
        }
    }

    private static SecretNotFoundException noSecret(String name) {
        return new SecretNotFoundException(name, "no secret named '" + name + "' in the embedded"
                + " store; store one with: printf '%s' \"$VALUE\" | credpool secret put " + name);
    }

    private static SecretNotFoundException noVersion(String name, String versionId) {
        // A malformed id could be anything the caller typed; show it only if it looks like one.
        String shown = VERSION_ID.matcher(versionId).matches() ? versionId : "(malformed id)";
        return new SecretNotFoundException(name, "secret '" + name + "' has no version " + shown
                + " in the embedded store; list its versions with: credpool secret list --all "
                + name);
    }
}
