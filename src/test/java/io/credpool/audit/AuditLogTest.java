package io.credpool.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.audit.AuditVerification.Problem;
import io.credpool.store.Database;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
    @TempDir
    Path dir;

    private Database db;
    private AuditLog log;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("state"));
        log = new AuditLog(db, Clock.fixed(Instant.parse("2025-01-02T03:04:05.123456789Z"),
                ZoneOffset.UTC));
    }

    @AfterEach
    void close() {
        db.close();
    }

    private void appendFive() {
        log.append(AuditEvent.of(AuditEventKind.TASK_STARTED).withTask("t1", "build"));
        log.append(AuditEvent.of(AuditEventKind.CREDENTIAL_RECEIVED).withTask("t1", "build")
                .withCredential("github-token", "v3").withScope("task"));
        log.append(AuditEvent.of(AuditEventKind.SESSION_OPENED).withSession("s1"));
        log.append(AuditEvent.of(AuditEventKind.CREDENTIAL_RECEIVED).withTask("t2", "test")
                .withSession("s1").withCredential("github-token", "v4").withScope("session"));
        log.append(AuditEvent.of(AuditEventKind.TASK_FINISHED).withTask("t1", "build")
                .withDetail("exit 0"));
    }

    private void sql(String... statements) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            for (String st : statements) {
                s.executeUpdate(st);
            }
        }
    }

    @Test
    void bulkAppendBuildsTheSameChainAsAppendingOneByOne() throws SQLException {
        List<AuditEvent> events = List.of(
                AuditEvent.of(AuditEventKind.TASK_STARTED).withTask("t1", "build"),
                AuditEvent.of(AuditEventKind.CREDENTIAL_RECEIVED).withTask("t1", "build").withCredential("github-token", "v3")
                        .withScope("task"),
                AuditEvent.of(AuditEventKind.TASK_FINISHED).withTask("t1", "build").withDetail("exit 0"));
        log.append(events.get(0));
        log.append(events.get(1));
        log.append(events.get(2));
        AuditLog.Head oneByOne = log.head();

        Database other = Database.open(dir.resolve("other"));
        try {
            AuditLog bulk = new AuditLog(other, Clock.fixed(Instant.parse("2025-01-02T03:04:05.123456789Z"), ZoneOffset.UTC));
            AuditLog.Head head = other.inTransaction(c -> bulk.appendAll(c, events.iterator()));
            assertThat(head).isEqualTo(oneByOne);
            assertThat(bulk.head()).isEqualTo(oneByOne);
            assertThat(bulk.verify().ok()).isTrue();
            assertThat(bulk.verify().recordsChecked()).isEqualTo(3);
            // And appending after a bulk load continues the same chain.
            bulk.append(AuditEvent.of(AuditEventKind.TASK_STARTED).withTask("t2", "build"));
            assertThat(bulk.verify().ok()).isTrue();
            assertThat(bulk.head().sequence()).isEqualTo(4);
        } finally {
            other.close();
        }
    }

    @Test
    void bulkAppendOfNothingLeavesTheHeadAlone() throws SQLException {
        appendFive();
        AuditLog.Head before = log.head();
        AuditLog.Head after = db.inTransaction(c -> log.appendAll(c, java.util.Collections.emptyIterator()));
        assertThat(after).isEqualTo(before);
        assertThat(log.verify().ok()).isTrue();
    }

    @Test
    void emptyLogVerifies() {
        assertThat(log.verify()).isEqualTo(AuditVerification.intact(0));
    }

    @Test
    void appendedRecordsVerify() {
        appendFive();
        AuditVerification v = log.verify();
        assertThat(v.ok()).isTrue();
        assertThat(v.recordsChecked()).isEqualTo(5);
    }

    @Test
    void appendReturnsTheStoredRecordChainedToThePreviousOne() {
        AuditRecord first = log.append(AuditEvent.of(AuditEventKind.TASK_STARTED));
        AuditRecord second = log.append(AuditEvent.of(AuditEventKind.TASK_FINISHED)
                .withTask("t", "build").withDetail("exit 0"));
        assertThat(first.sequence()).isEqualTo(1);
        assertThat(first.previousHash()).isEqualTo("0".repeat(64));
        assertThat(second.sequence()).isEqualTo(2);
        assertThat(second.previousHash()).isEqualTo(first.hash());
        assertThat(second.time()).isEqualTo(Instant.parse("2025-01-02T03:04:05.123456Z"));
        assertThat(log.latest(1)).containsExactly(second);
        assertThat(log.head()).isEqualTo(new AuditLog.Head(2, second.hash()));
    }

    @Test
    void queriesFindRecordsByTaskAndByCredential() {
        appendFive();
        assertThat(log.forTask("t1")).extracting(AuditRecord::sequence).containsExactly(1L, 2L, 5L);
        assertThat(log.forTask("nope")).isEmpty();
        assertThat(log.forCredential("github-token", Optional.empty()))
                .extracting(AuditRecord::sequence).containsExactly(2L, 4L);
        assertThat(log.forCredential("github-token", Optional.of("v4")))
                .extracting(AuditRecord::taskId).containsExactly("t2");
        assertThat(log.latest(2)).extracting(AuditRecord::sequence).containsExactly(5L, 4L);
        assertThat(log.latest(0)).isEmpty();
    }

    @Test
    void negativeLatestCountIsRejected() {
        assertThatThrownBy(() -> log.latest(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot list -1 records; ask for 0 or more");
    }

    @Test
    void nullAndEmptyFieldsHashDifferently() {
        AuditEvent withNull = AuditEvent.of(AuditEventKind.TASK_STARTED);
        AuditEvent withEmpty = withNull.withDetail("");
        Instant t = Instant.EPOCH;
        assertThat(AuditLog.hash(1, t, withNull, "0")).isNotEqualTo(AuditLog.hash(1, t, withEmpty,
                "0"));
    }

    @Test
    void fieldBoundariesCannotBeShiftedWithoutChangingTheHash() {
        Instant t = Instant.EPOCH;
        AuditEvent a = AuditEvent.of(AuditEventKind.TASK_STARTED).withTask("ab", "c");
        AuditEvent b = AuditEvent.of(AuditEventKind.TASK_STARTED).withTask("a", "bc");
        assertThat(AuditLog.hash(1, t, a, "0")).isNotEqualTo(AuditLog.hash(1, t, b, "0"));
    }

    @Test
    void oversizedFieldIsRejectedWithoutEchoingIt() {
        assertThatThrownBy(() -> AuditEvent.of(AuditEventKind.TASK_REFUSED)
                .withDetail("x".repeat(4001)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("audit field detail is 4001 characters; the limit is 4000");
    }

    @Test
    void tamperedFieldIsDetectedAtItsRecord() throws SQLException {
        appendFive();
        sql("UPDATE audit_log SET version_id = 'v2' WHERE seq = 2");
        AuditVerification v = log.verify();
        assertThat(v.ok()).isFalse();
        assertThat(v.firstBreak()).get().extracting(AuditVerification.Break::sequence,
                AuditVerification.Break::problem).containsExactly(2L, Problem.HASH_MISMATCH);
        assertThat(v.recordsChecked()).isEqualTo(1);
    }

    @Test
    void tamperedKindIsDetectedAtItsRecord() throws SQLException {
        appendFive();
        sql("UPDATE audit_log SET kind = 'NOT_A_KIND' WHERE seq = 3");
        assertThat(log.verify().firstBreak()).get().extracting(AuditVerification.Break::sequence)
                .isEqualTo(3L);
    }

    @Test
    void rewrittenRecordWithRecomputedHashIsDetectedAsABrokenLinkAtTheNextRecord()
            throws SQLException {
        appendFive();
        AuditRecord r3 = log.forTask("t2").get(0);
        AuditEvent forged = r3.event().withCredential("github-token", "v1");
        String forgedHash = AuditLog.hash(r3.sequence(), r3.time(), forged, r3.previousHash());
        sql("UPDATE audit_log SET version_id = 'v1', hash = '" + forgedHash + "' WHERE seq = 4");
        assertThat(log.verify().firstBreak()).get()
                .extracting(AuditVerification.Break::sequence, AuditVerification.Break::problem)
                .containsExactly(5L, Problem.BROKEN_LINK);
    }

    @Test
    void deletedMiddleRecordIsDetectedAsMissingAtItsSequenceNumber() throws SQLException {
        appendFive();
        sql("DELETE FROM audit_log WHERE seq = 3");
        AuditVerification v = log.verify();
        assertThat(v.firstBreak()).get()
                .extracting(AuditVerification.Break::sequence, AuditVerification.Break::problem)
                .containsExactly(3L, Problem.MISSING_RECORD);
        assertThat(v.firstBreak().get().explanation())
                .isEqualTo("record 3 is missing: the next record present is 4");
    }

    @Test
    void deletedFirstRecordIsDetected() throws SQLException {
        appendFive();
        sql("DELETE FROM audit_log WHERE seq = 1");
        assertThat(log.verify().firstBreak()).get()
                .extracting(AuditVerification.Break::sequence, AuditVerification.Break::problem)
                .containsExactly(1L, Problem.MISSING_RECORD);
    }

    @Test
    void reorderedRecordsAreDetectedAtTheFirstMovedOne() throws SQLException {
        appendFive();
        sql("UPDATE audit_log SET seq = -1 WHERE seq = 2",
                "UPDATE audit_log SET seq = 2 WHERE seq = 3",
                "UPDATE audit_log SET seq = 3 WHERE seq = -1");
        assertThat(log.verify().firstBreak()).get()
                .extracting(AuditVerification.Break::sequence, AuditVerification.Break::problem)
                .containsExactly(2L, Problem.HASH_MISMATCH);
    }

    @Test
    void truncatedTailIsDetectedWhileTheHeadRowIsIntact() throws SQLException {
        appendFive();
        sql("DELETE FROM audit_log WHERE seq >= 4");
        AuditVerification v = log.verify();
        assertThat(v.firstBreak()).get()
                .extracting(AuditVerification.Break::sequence, AuditVerification.Break::problem)
                .containsExactly(4L, Problem.TRUNCATED);
        assertThat(v.firstBreak().get().explanation())
                .isEqualTo("records 4 to 5 were cut off the end of the log");
    }

    @Test
    void truncationWithTheHeadRewoundIsNotDetectableWithoutAnExternalAnchor()
            throws SQLException {
        // Documents the limit stated in the class comment: anchor head() elsewhere.
        appendFive();
        AuditRecord r3 = log.latest(3).get(2);
        sql("DELETE FROM audit_log WHERE seq >= 4",
                "UPDATE audit_head SET last_seq = 3, last_hash = '" + r3.hash() + "'");
        assertThat(log.verify().ok()).isTrue();
    }

    @Test
    void recordInsertedBehindTheHeadsBackIsDetected() throws SQLException {
        appendFive();
        AuditRecord last = log.latest(1).get(0);
        sql("INSERT INTO audit_log (seq, recorded_at, kind, prev_hash, hash) VALUES (6, '"
                + last.time() + "', 'TASK_STARTED', '" + last.hash() + "', '"
                + AuditLog.hash(6, last.time(), AuditEvent.of(AuditEventKind.TASK_STARTED),
                        last.hash()) + "')");
        assertThat(log.verify().firstBreak()).get()
                .extracting(AuditVerification.Break::sequence, AuditVerification.Break::problem)
                .containsExactly(6L, Problem.UNEXPECTED_RECORD);
    }

    @Test
    void concurrentAppendsFromEightThreadsKeepTheChainLinear() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Void>> work = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String task = "task-" + t;
                work.add(() -> {
                    for (int i = 0; i < 15; i++) {
                        log.append(AuditEvent.of(AuditEventKind.CREDENTIAL_RECEIVED)
                                .withTask(task, "build").withDetail("n=" + i));
                    }
                    return null;
                });
            }
            for (Future<Void> f : pool.invokeAll(work)) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        AuditVerification v = log.verify();
        assertThat(v.ok()).as("%s", v).isTrue();
        assertThat(v.recordsChecked()).isEqualTo(120);
    }

    @Test
    void appendFailureOnAClosedDatabaseIsAnAuditException() {
        db.close();
        assertThatThrownBy(() -> log.append(AuditEvent.of(AuditEventKind.TASK_STARTED)))
                .isInstanceOf(AuditException.class)
                .hasMessageStartingWith("cannot append a TASK_STARTED record to the audit log: ");
    }
}
