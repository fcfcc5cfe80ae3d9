package io.credpool.audit;

import io.credpool.store.Database;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The append-only, hash-chained audit log, kept in the state database.
 *
 * <p>Each record's hash is SHA-256 over a length-prefixed encoding of all its fields and the
 * previous record's hash (64 zeros for the first), so changing, deleting, inserting or
 * reordering any record breaks the chain at or after that record. A single head row holds the
 * last sequence number and hash; every append updates it first, which serializes appenders in
 * all threads and processes (a row lock on PostgreSQL, the write lock on SQLite), so sequence
 * numbers are gap-free and each record links to the one before.
 *
 * <p><b>What {@link #verify()} can and cannot detect.</b> It detects: a changed field (hash
 * mismatch), a record deleted from the middle (a sequence gap), records swapped or moved (hash
 * mismatch, since the sequence number is hashed), a record rewritten with a recomputed hash
 * (broken link at the next record), and records cut off the end while the head row is intact
 * (truncated). It cannot detect an attacker with write access to the database who rewrites the
 * whole chain from some point on and the head row to match, or who deletes the tail and
 * rewinds the head: the hashes are unkeyed, so anyone can recompute them. Guarding against that
 * needs the head hash anchored outside the database (printed in reports, shipped to a log
 * service, or signed); {@link #head()} gives the value to anchor.
 */
public final class AuditLog {
    private static final String ZERO_HASH = "0".repeat(64);
    private static final byte[] DOMAIN = "credpool-audit-v1".getBytes(StandardCharsets.UTF_8);
    private static final String COLUMNS = "seq, recorded_at, kind, task_id, task_type,"
            + " session_id, credential, version_id, scope, detail, prev_hash, hash";

    private final Database db;
    private final Clock clock;

    public AuditLog(Database db) {
        this(db, Clock.systemUTC());
    }

    public AuditLog(Database db, Clock clock) {
        this.db = Objects.requireNonNull(db, "db");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Appends one record in its own transaction. */
    public AuditRecord append(AuditEvent event) {
        try {
            return db.inTransaction(c -> append(c, event));
        } catch (SQLException e) {
            throw new AuditException("cannot append a " + event.kind() + " record to the audit"
                    + " log: " + e.getMessage() + "; check the state database", e);
        }
    }

    /**
     * Appends one record inside the caller's transaction, so that it is committed exactly when
     * the change it describes is (a secret version and its SECRET_PUT record, say).
     */
    public AuditRecord append(Connection tx, AuditEvent event) throws SQLException {
        Objects.requireNonNull(event, "event");
        // Take the head's lock before reading it: read-then-write without the lock would let
        // two appenders chain to the same previous record.
        try (PreparedStatement lock = tx.prepareStatement(
                "UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = 1")) {
            if (lock.executeUpdate() != 1) {
                throw new SQLException("the audit_head row is missing");
            }
        }
        long seq;
        String prevHash;
        try (PreparedStatement q = tx.prepareStatement(
                "SELECT last_seq, last_hash FROM audit_head WHERE id = 1");
                ResultSet rs = q.executeQuery()) {
            rs.next();
            seq = rs.getLong(1);
            prevHash = rs.getString(2);
        }
        Instant time = clock.instant().truncatedTo(ChronoUnit.MICROS);
        String hash = hash(seq, time, event, prevHash);
        try (PreparedStatement ins = tx.prepareStatement("INSERT INTO audit_log (" + COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            bindRecord(ins, seq, time, event, prevHash, hash);
            ins.executeUpdate();
        }
        try (PreparedStatement upd = tx.prepareStatement(
                "UPDATE audit_head SET last_hash = ? WHERE id = 1")) {
            upd.setString(1, hash);
            upd.executeUpdate();
        }
        return new AuditRecord(seq, time, event.kind(), event.taskId(), event.taskType(),
                event.sessionId(), event.credential(), event.versionId(), event.scope(),
                event.detail(), prevHash, hash);
    }

    /** Binds one record to an INSERT of {@link #COLUMNS}, in their order. */
    private static void bindRecord(PreparedStatement ins, long seq, Instant time, AuditEvent event, String prevHash,
            String hash) throws SQLException {
        ins.setLong(1, seq);
        ins.setString(2, time.toString());
        ins.setString(3, event.kind().name());
        ins.setString(4, event.taskId());
        ins.setString(5, event.taskType());
        ins.setString(6, event.sessionId());
        ins.setString(7, event.credential());
        ins.setString(8, event.versionId());
        ins.setString(9, event.scope());
        ins.setString(10, event.detail());
        ins.setString(11, prevHash);
        ins.setString(12, hash);
    }

    /**
     * Appends {@code events} in order inside the caller's transaction, with one head update and
     * batched inserts: the bulk path for importing or generating large logs (the benchmark's
     * million records), where {@link #append(Connection, AuditEvent)}'s four statements per record
     * dominate. The chain is the same as appending them one by one; {@link #verify()} checks it.
     *
     * @return the head after the last event
     */
    public Head appendAll(Connection tx, Iterator<AuditEvent> events) throws SQLException {
        Objects.requireNonNull(events, "events");
        // Lock the head first, as append() does, so no other appender interleaves with the batch.
        try (PreparedStatement lock = tx.prepareStatement("UPDATE audit_head SET last_seq = last_seq WHERE id = 1")) {
            if (lock.executeUpdate() != 1) {
                throw new SQLException("the audit_head row is missing");
            }
        }
        long seq;
        String prevHash;
        try (PreparedStatement q = tx.prepareStatement("SELECT last_seq, last_hash FROM audit_head WHERE id = 1");
                ResultSet rs = q.executeQuery()) {
            rs.next();
            seq = rs.getLong(1);
            prevHash = rs.getString(2);
        }
        try (PreparedStatement ins = tx.prepareStatement("INSERT INTO audit_log (" + COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            int pending = 0;
            while (events.hasNext()) {
                AuditEvent event = Objects.requireNonNull(events.next(), "event");
                seq++;
                Instant time = clock.instant().truncatedTo(ChronoUnit.MICROS);
                String hash = hash(seq, time, event, prevHash);
                bindRecord(ins, seq, time, event, prevHash, hash);
                ins.addBatch();
                prevHash = hash;
                if (++pending == 1000) {
                    ins.executeBatch();
                    pending = 0;
                }
            }
            if (pending > 0) {
                ins.executeBatch();
            }
        }
        try (PreparedStatement upd = tx.prepareStatement("UPDATE audit_head SET last_seq = ?, last_hash = ? WHERE id = 1")) {
            upd.setLong(1, seq);
            upd.setString(2, prevHash);
            upd.executeUpdate();
        }
        return new Head(seq, prevHash);
    }

    /** Every record of one task, oldest first. */
    public List<AuditRecord> forTask(String taskId) {
        Objects.requireNonNull(taskId, "taskId");
        return query("WHERE task_id = ? ORDER BY seq", taskId);
    }

    /** Every record about one credential, or one version of it, oldest first. */
    public List<AuditRecord> forCredential(String credential, Optional<String> versionId) {
        Objects.requireNonNull(credential, "credential");
        return versionId.isPresent()
                ? query("WHERE credential = ? AND version_id = ? ORDER BY seq", credential,
                        versionId.get())
                : query("WHERE credential = ? ORDER BY seq", credential);
    }

    /** Every record of one session (its opening, the credentials it holds, its tasks), oldest first. */
    public List<AuditRecord> forSession(String sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        return query("WHERE session_id = ? ORDER BY seq", sessionId);
    }

    /**
     * Every record at or after {@code since}, oldest first. Filtered here, not in SQL: stored
     * times are ISO-8601 text of varying precision, which does not sort as text.
     */
    public List<AuditRecord> since(java.time.Instant since) {
        Objects.requireNonNull(since, "since");
        return query("ORDER BY seq").stream().filter(r -> !r.time().isBefore(since)).toList();
    }

    /** The last {@code n} records, newest first. */
    public List<AuditRecord> latest(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("cannot list " + n + " records; ask for 0 or more");
        }
        return query("ORDER BY seq DESC LIMIT " + n);
    }

    /** The chain's head: last sequence number and hash, the values to anchor elsewhere. */
    public Head head() {
        try {
            return db.read(c -> {
                try (PreparedStatement q = c.prepareStatement(
                        "SELECT last_seq, last_hash FROM audit_head WHERE id = 1");
                        ResultSet rs = q.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("the audit_head row is missing");
                    }
                    return new Head(rs.getLong(1), rs.getString(2));
                }
            });
        } catch (SQLException e) {
            throw new AuditException("cannot read the audit log's head: " + e.getMessage(), e);
        }
    }

    /** The last sequence number and hash that append() wrote. */
    public record Head(long sequence, String hash) {
    }

    /**
     * Walks the whole chain in one read transaction and reports the first break; see the class
     * comment for what this can and cannot detect.
     */
    public AuditVerification verify() {
        try {
            return db.inTransaction(this::verify);
        } catch (SQLException e) {
            throw new AuditException("cannot verify the audit log: " + e.getMessage(), e);
        }
    }

    private AuditVerification verify(Connection c) throws SQLException {
        long checked = 0;
        long expected = 1;
        String prevHash = ZERO_HASH;
        try (PreparedStatement q = c.prepareStatement(
                "SELECT " + COLUMNS + " FROM audit_log ORDER BY seq");
                ResultSet rs = q.executeQuery()) {
            while (rs.next()) {
                AuditRecord r;
                try {
                    r = read(rs);
                } catch (RuntimeException e) {
                    return AuditVerification.broken(checked, rs.getLong(1),
                            AuditVerification.Problem.HASH_MISMATCH,
                            "record " + rs.getLong(1) + " cannot be read: " + e.getMessage());
                }
                if (r.sequence() < expected) {
                    return AuditVerification.broken(checked, r.sequence(),
                            AuditVerification.Problem.UNEXPECTED_RECORD, "record " + r.sequence()
                                    + " has a sequence number below 1; append() never writes one");
                }
                if (r.sequence() > expected) {
                    return AuditVerification.broken(checked, expected,
                            AuditVerification.Problem.MISSING_RECORD, "record " + expected
                                    + " is missing: the next record present is " + r.sequence());
                }
                String recomputed = hash(r.sequence(), r.time(), r.event(), r.previousHash());
                if (!recomputed.equals(r.hash())) {
                    return AuditVerification.broken(checked, r.sequence(),
                            AuditVerification.Problem.HASH_MISMATCH, "record " + r.sequence()
                                    + " was changed after it was written: its fields do not hash"
                                    + " to its stored hash");
                }
                if (!prevHash.equals(r.previousHash())) {
                    return AuditVerification.broken(checked, r.sequence(),
                            AuditVerification.Problem.BROKEN_LINK, "record " + r.sequence()
                                    + " does not link to record " + (r.sequence() - 1)
                                    + ": its previous-hash is not that record's hash");
                }
                checked++;
                expected++;
                prevHash = r.hash();
            }
        }
        long last = expected - 1;
        Head head;
        try (PreparedStatement q = c.prepareStatement(
                "SELECT last_seq, last_hash FROM audit_head WHERE id = 1");
                ResultSet rs = q.executeQuery()) {
            if (!rs.next()) {
                return AuditVerification.broken(checked, last + 1,
                        AuditVerification.Problem.TRUNCATED, "the audit log's head row is"
                                + " missing, so records cut off the end cannot be ruled out");
            }
            head = new Head(rs.getLong(1), rs.getString(2));
        }
        if (head.sequence() > last) {
            return AuditVerification.broken(checked, last + 1,
                    AuditVerification.Problem.TRUNCATED, "records " + (last + 1) + " to "
                            + head.sequence() + " were cut off the end of the log");
        }
        if (head.sequence() < last) {
            return AuditVerification.broken(checked, head.sequence() + 1,
                    AuditVerification.Problem.UNEXPECTED_RECORD, "records after "
                            + head.sequence() + " were not written by append()");
        }
        if (!head.hash().equals(prevHash)) {
            return AuditVerification.broken(checked, last,
                    AuditVerification.Problem.TRUNCATED, "the last record " + last
                            + " is not the one append() wrote last: the tail was replaced");
        }
        return AuditVerification.intact(checked);
    }

    private List<AuditRecord> query(String where, String... args) {
        try {
            return db.read(c -> {
                try (PreparedStatement q = c.prepareStatement(
                        "SELECT " + COLUMNS + " FROM audit_log " + where)) {
                    for (int i = 0; i < args.length; i++) {
                        q.setString(i + 1, args[i]);
                    }
                    List<AuditRecord> out = new ArrayList<>();
                    try (ResultSet rs = q.executeQuery()) {
                        while (rs.next()) {
                            out.add(read(rs));
                        }
                    }
                    return out;
                }
            });
        } catch (SQLException e) {
            throw new AuditException("cannot read the audit log: " + e.getMessage(), e);
        }
    }

    private static AuditRecord read(ResultSet rs) throws SQLException {
        return new AuditRecord(rs.getLong(1), Instant.parse(rs.getString(2)),
                AuditEventKind.valueOf(rs.getString(3)), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
                rs.getString(10), rs.getString(11), rs.getString(12));
    }

    /** SHA-256 over a canonical, length-prefixed encoding: no two records encode alike. */
    static String hash(long seq, Instant time, AuditEvent e, String prevHash) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            field(out, DOMAIN);
            out.writeLong(seq);
            field(out, time.toString());
            field(out, e.kind().name());
            field(out, e.taskId());
            field(out, e.taskType());
            field(out, e.sessionId());
            field(out, e.credential());
            field(out, e.versionId());
            field(out, e.scope());
            field(out, e.detail());
            field(out, prevHash);
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
        try {
            return HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("the JDK lacks SHA-256", ex);
        }
    }

    private static void field(DataOutputStream out, String s) throws IOException {
        // -1 for null keeps null and "" apart.
        if (s == null) {
            out.writeInt(-1);
        } else {
            field(out, s.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void field(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }
}
