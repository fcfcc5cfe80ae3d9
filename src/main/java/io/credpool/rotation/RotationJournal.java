package io.credpool.rotation;

import io.credpool.secrets.SecretValue;
import io.credpool.store.Database;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The durable rotation journal in the state database: one row per rotation, one per step phase,
 * and a lock row per credential that makes "one rotation per credential at a time" a primary key
 * rather than a check that two processes could both pass.
 */
public final class RotationJournal {
    private static final String PROPOSED = "proposed";
    private static final String ISSUED = "issued";

    private final Database db;
    private final JournalCipher cipher;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public RotationJournal(Database db, JournalCipher cipher, Clock clock) {
        this.db = db;
        this.cipher = cipher;
        this.clock = clock;
    }

    /**
     * Records a new rotation and takes the credential's lock in one transaction.
     *
     * @throws RotationInProgressException when the credential has an unfinished rotation
     */
    public Rotation begin(String credential, String issuer, Optional<String> oldVersion) {
        String id = newId();
        String now = clock.instant().toString();
        tx(c -> {
            Optional<String> holder = lockHolder(c, credential);
            if (holder.isPresent()) {
                Rotation r = load(c, holder.get());
                throw new RotationInProgressException(credential, r.id(), r.currentStep());
            }
            update(c, "INSERT INTO rotations (id, credential, status, issuer, old_version, abort_requested, created_at, updated_at)"
                    + " VALUES (?, ?, ?, ?, ?, 0, ?, ?)", id, credential, RotationStatus.RUNNING.name(), issuer,
                    oldVersion.orElse(null), now, now);
            try {
                update(c, "INSERT INTO rotation_locks (credential, rotation_id) VALUES (?, ?)", credential, id);
            } catch (SQLException e) {
                // Another process took the lock between our check and insert (possible on PostgreSQL,
                // whose transaction is now unusable for another query, so nothing more is read here).
                throw new RotationInProgressException(credential, "of another process", "starting");
            }
            return null;
        });
        return get(id);
    }

    /** Appends one phase of one step; journal rows are never changed afterwards. */
    public void append(String id, Step step, Phase phase, String detail) {
        tx(c -> {
            int seq;
            try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(seq), 0) FROM rotation_steps WHERE rotation_id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    seq = rs.getInt(1) + 1;
                }
            }
            String now = clock.instant().toString();
            update(c, "INSERT INTO rotation_steps (rotation_id, seq, step, phase, at, detail) VALUES (?, ?, ?, ?, ?, ?)", id, seq,
                    step.name(), phase.name(), now, detail);
            update(c, "UPDATE rotations SET updated_at = ? WHERE id = ?", now, id);
            return null;
        });
    }

    public void saveProposed(String id, SecretValue value) {
        seal(id, PROPOSED, value);
    }

    public void saveIssued(String id, SecretValue value) {
        seal(id, ISSUED, value);
    }

    public Optional<SecretValue> proposed(String id, String credential) {
        return unseal(id, PROPOSED, credential, "proposed");
    }

    public Optional<SecretValue> issued(String id, String credential) {
        return unseal(id, ISSUED, credential, "new");
    }

    public void setNewVersion(String id, String versionId) {
        set(id, "new_version", versionId);
    }

    public void setCutover(String id, Instant at) {
        set(id, "cutover_at", at.toString());
    }

    public void setDrained(String id, Instant at) {
        set(id, "drained_at", at.toString());
    }

    public void setConfirmation(String id, String text) {
        set(id, "confirmation", text);
    }

    public void setError(String id, String error) {
        set(id, "error", error);
    }

    public void requestAbort(String id) {
        tx(c -> update(c, "UPDATE rotations SET abort_requested = 1, updated_at = ? WHERE id = ?", clock.instant().toString(), id));
    }

    /**
     * Sets the status; a terminal one releases the credential's lock and drops the journaled
     * ciphertext, which is no longer needed (the value lives in the secrets provider or was revoked).
     */
    public void setStatus(String id, RotationStatus status, String error) {
        tx(c -> {
            update(c, "UPDATE rotations SET status = ?, error = ?, updated_at = ? WHERE id = ?", status.name(), error,
                    clock.instant().toString(), id);
            if (status.terminal()) {
                update(c, "UPDATE rotations SET proposed_nonce = NULL, proposed_ciphertext = NULL, issued_nonce = NULL,"
                        + " issued_ciphertext = NULL WHERE id = ?", id);
                update(c, "DELETE FROM rotation_locks WHERE rotation_id = ?", id);
            }
            return null;
        });
    }

    public Rotation get(String id) {
        return find(id).orElseThrow(() -> new RotationException("no rotation '" + id + "'; list them with `credpool rotation list`"));
    }

    public Optional<Rotation> find(String id) {
        return read(c -> exists(c, id) ? Optional.of(load(c, id)) : Optional.empty());
    }

    /** The unfinished rotation of {@code credential}, if any. */
    public Optional<Rotation> active(String credential) {
        return read(c -> {
            Optional<String> id = lockHolder(c, credential);
            return id.isPresent() ? Optional.of(load(c, id.get())) : Optional.empty();
        });
    }

    /** Every rotation, newest first. */
    public List<Rotation> list() {
        return read(c -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM rotations ORDER BY created_at DESC, id");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            List<Rotation> out = new ArrayList<>();
            for (String id : ids) {
                out.add(load(c, id));
            }
            return out;
        });
    }

    /** Rotations that hold a lock: running, or paused, or interrupted by a crash. */
    public List<Rotation> unfinished() {
        return list().stream().filter(r -> !r.status().terminal()).toList();
    }

    /** When the last rotation of {@code credential} that finished successfully was started. */
    public Optional<Instant> lastDone(String credential) {
        return list().stream().filter(r -> r.credential().equals(credential) && r.status() == RotationStatus.DONE)
                .map(Rotation::createdAt).findFirst();
    }

    // ---- internals ----------------------------------------------------------------------

    private void seal(String id, String field, SecretValue value) {
        JournalCipher.Sealed s = cipher.seal(id, field, value);
        tx(c -> update(c, "UPDATE rotations SET " + field + "_nonce = ?, " + field + "_ciphertext = ?, updated_at = ? WHERE id = ?",
                s.nonce(), s.ciphertext(), clock.instant().toString(), id));
    }

    private Optional<SecretValue> unseal(String id, String field, String credential, String version) {
        Optional<JournalCipher.Sealed> s = read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + field + "_nonce, " + field + "_ciphertext FROM rotations"
                    + " WHERE id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || rs.getString(1) == null) {
                        return Optional.empty();
                    }
                    return Optional.of(new JournalCipher.Sealed(rs.getString(1), rs.getString(2)));
                }
            }
        });
        return s.map(x -> cipher.open(id, field, x, credential, version));
    }

    private void set(String id, String column, String value) {
        tx(c -> update(c, "UPDATE rotations SET " + column + " = ?, updated_at = ? WHERE id = ?", value,
                clock.instant().toString(), id));
    }

    private static Optional<String> lockHolder(Connection c, String credential) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT rotation_id FROM rotation_locks WHERE credential = ?")) {
            ps.setString(1, credential);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    private static boolean exists(Connection c, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM rotations WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static Rotation load(Connection c, String id) throws SQLException {
        List<JournalEntry> entries = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT seq, step, phase, at, detail FROM rotation_steps WHERE rotation_id = ?"
                + " ORDER BY seq")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    entries.add(new JournalEntry(rs.getInt(1), Step.valueOf(rs.getString(2)), Phase.valueOf(rs.getString(3)),
                            Instant.parse(rs.getString(4)), rs.getString(5)));
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT credential, status, issuer, old_version, new_version,"
                + " issued_ciphertext, abort_requested, cutover_at, drained_at, confirmation, error, created_at, updated_at"
                + " FROM rotations WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new RotationException("no rotation '" + id + "'");
                }
                return new Rotation(id, rs.getString(1), RotationStatus.valueOf(rs.getString(2)), rs.getString(3),
                        Optional.ofNullable(rs.getString(4)), Optional.ofNullable(rs.getString(5)), rs.getString(6) != null,
                        rs.getInt(7) != 0, instant(rs.getString(8)), instant(rs.getString(9)), Optional.ofNullable(rs.getString(10)),
                        Optional.ofNullable(rs.getString(11)), Instant.parse(rs.getString(12)), Instant.parse(rs.getString(13)),
                        entries);
            }
        }
    }

    private static Optional<Instant> instant(String s) {
        return s == null ? Optional.empty() : Optional.of(Instant.parse(s));
    }

    private static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        }
    }

    private <T> T tx(Database.SqlWork<T> work) {
        try {
            return db.inTransaction(work);
        } catch (SQLException e) {
            throw new RotationException("cannot write the rotation journal in " + db + ": " + e.getMessage(), e);
        }
    }

    private <T> T read(Database.SqlWork<T> work) {
        try {
            return db.read(work);
        } catch (SQLException e) {
            throw new RotationException("cannot read the rotation journal in " + db + ": " + e.getMessage(), e);
        }
    }

    private String newId() {
        byte[] b = new byte[6];
        random.nextBytes(b);
        return "r-" + HexFormat.of().formatHex(b);
    }
}
