package io.credpool.secrets.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.audit.AuditEventKind;
import io.credpool.audit.AuditRecord;
import io.credpool.secrets.Label;
import io.credpool.secrets.ProviderUnavailableException;
import io.credpool.secrets.SecretNotFoundException;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.VersionConflictException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedSecretsStoreTest {
    private static final Optional<String> ANY = Optional.empty();

    @TempDir
    Path dir;

    private StoreFixture f;
    private EmbeddedSecretsStore store;

    @BeforeEach
    void open() {
        f = new StoreFixture(dir.resolve("state"));
        store = f.store;
    }

    @AfterEach
    void close() {
        f.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private byte[] roundTrip(String name, byte[] value) {
        SecretVersion v = store.put(name, value, Label.CURRENT, ANY);
        try (SecretValue got = store.version(name, v.versionId())) {
            return got.bytes();
        }
    }

    // ---- round trips ----------------------------------------------------------------------

    @Test
    void valueWithNewlinesAndEqualsSignsRoundTripsExactly() {
        byte[] value = utf8("line1\nKEY=val=ue\r\n\n==\n");
        assertThat(roundTrip("multi-line", value)).isEqualTo(value);
    }

    @Test
    void unicodeValueRoundTripsExactly() {
        byte[] value = utf8("pässwörd-日本語-🔑-\u0000-end");
        assertThat(roundTrip("unicode", value)).isEqualTo(value);
    }

    @Test
    void everyByteValueRoundTripsExactly() {
        byte[] value = new byte[512];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) (255 - i % 256);
        }
        assertThat(roundTrip("all-bytes", value)).isEqualTo(value);
    }

    @Test
    void emptyValueRoundTrips() {
        assertThat(roundTrip("empty", new byte[0])).isEmpty();
    }

    @Test
    void valueOfExactlyTheLimitRoundTrips() {
        byte[] value = new byte[SecretValue.MAX_BYTES];
        new java.util.Random(7).nextBytes(value);
        assertThat(roundTrip("big", value)).isEqualTo(value);
    }

    @Test
    void currentReturnsTheValueAndItsVersion() {
        store.put("github-token", utf8("one"), Label.CURRENT, ANY);
        store.put("github-token", utf8("two"), Label.CURRENT, ANY);
        try (SecretValue v = store.current("github-token")) {
            assertThat(v.version()).isEqualTo("v2");
            assertThat(v.name()).isEqualTo("github-token");
            assertThat(v.bytes()).isEqualTo(utf8("two"));
        }
        assertThat(store.currentVersionId("github-token")).contains("v2");
    }

    @Test
    void kindIsEmbedded() {
        assertThat(store.kind()).isEqualTo("embedded");
    }

    // ---- rejections -------------------------------------------------------------------------

    @Test
    void valueOneByteOverTheLimitIsRejectedWithTheLimitInTheMessage() {
        assertThatThrownBy(() -> store.put("big", new byte[SecretValue.MAX_BYTES + 1],
                Label.CURRENT, ANY))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("secret 'big' is 65537 bytes; the embedded store keeps values of at"
                        + " most 65536 bytes (they become environment variables); store a"
                        + " smaller value, or a reference to a file instead");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void invalidNameIsRejectedWithoutEchoingIt() {
        for (String bad : List.of("", "Upper", "-leading-dash", "has space", "a/b", "x".repeat(129),
                "ghp_S3cr3tLooking")) {
            assertThatThrownBy(() -> store.put(bad, utf8("x"), Label.CURRENT, ANY))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid secret name (" + bad.length()
                            + " characters): a name is 1 to 128 characters")
                    .satisfies(e -> {
                        if (!bad.isEmpty()) {
                            assertThat(e.getMessage()).doesNotContain(bad);
                        }
                    });
        }
    }

    @Test
    void unknownSecretMessageSaysHowToStoreOne() {
        assertThatThrownBy(() -> store.current("github-token"))
                .isInstanceOf(SecretNotFoundException.class)
                .hasMessage("no secret named 'github-token' in the embedded store; store one"
                        + " with: printf '%s' \"$VALUE\" | credpool secret put github-token")
                .extracting(e -> ((SecretNotFoundException) e).credential())
                .isEqualTo("github-token");
        assertThatThrownBy(() -> store.versions("github-token"))
                .isInstanceOf(SecretNotFoundException.class);
        assertThatThrownBy(() -> store.version("github-token", "v1"))
                .isInstanceOf(SecretNotFoundException.class);
        assertThatThrownBy(() -> store.promote("github-token", "v1", ANY))
                .isInstanceOf(SecretNotFoundException.class);
        assertThat(store.currentVersionId("github-token")).isEmpty();
    }

    @Test
    void unknownVersionMessageSaysHowToListVersions() {
        store.put("github-token", utf8("one"), Label.CURRENT, ANY);
        assertThatThrownBy(() -> store.version("github-token", "v9"))
                .isInstanceOf(SecretNotFoundException.class)
                .hasMessage("secret 'github-token' has no version v9 in the embedded store; list"
                        + " its versions with: credpool secret list --all github-token");
        assertThatThrownBy(() -> store.promote("github-token", "v9", ANY))
                .isInstanceOf(SecretNotFoundException.class)
                .hasMessageContaining("has no version v9");
    }

    @Test
    void malformedVersionIdIsNotFoundAndNotEchoed() {
        store.put("github-token", utf8("one"), Label.CURRENT, ANY);
        assertThatThrownBy(() -> store.version("github-token", "hunter2"))
                .isInstanceOf(SecretNotFoundException.class)
                .hasMessageContaining("has no version (malformed id)")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void secretWithOnlyAPendingVersionHasNoCurrent() {
        store.put("db-password", utf8("p"), Label.PENDING, ANY);
        assertThatThrownBy(() -> store.current("db-password"))
                .isInstanceOf(SecretNotFoundException.class)
                .hasMessage("secret 'db-password' has no current version in the embedded store;"
                        + " list its versions with: credpool secret list --all db-password and"
                        + " promote one with: credpool secret promote db-password <version>");
        assertThat(store.currentVersionId("db-password")).isEmpty();
    }

    // ---- compare-and-set ----------------------------------------------------------------------

    @Test
    void putWithStaleExpectedCurrentFailsWithTheExactConflictMessage() {
        store.put("github-token", utf8("one"), Label.CURRENT, ANY);
        store.put("github-token", utf8("two"), Label.CURRENT, ANY);
        assertThatThrownBy(() -> store.put("github-token", utf8("three"), Label.CURRENT,
                Optional.of("v1")))
                .isInstanceOf(VersionConflictException.class)
                .hasMessage("secret 'github-token' changed under you: expected current version v1"
                        + " but it is v2; read it again and retry");
        assertThat(store.versions("github-token")).hasSize(2);
    }

    @Test
    void putExpectingNoCurrentFailsWhenOneExists() {
        store.put("github-token", utf8("one"), Label.CURRENT, ANY);
        assertThatThrownBy(() -> store.put("github-token", utf8("x"), Label.CURRENT,
                Optional.of("")))
                .isInstanceOf(VersionConflictException.class)
                .hasMessage("secret 'github-token' changed under you: expected current version"
                        + " (none) but it is v1; read it again and retry");
    }

    @Test
    void putExpectingAVersionOfAnUnknownSecretConflictsAndCreatesNothing() {
        assertThatThrownBy(() -> store.put("new-one", utf8("x"), Label.CURRENT,
                Optional.of("v1")))
                .isInstanceOf(VersionConflictException.class)
                .hasMessage("secret 'new-one' changed under you: expected current version v1"
                        + " but it is (none); read it again and retry");
        assertThat(store.list()).isEmpty();
        // The rolled-back attempt did not use up v1.
        assertThat(store.put("new-one", utf8("x"), Label.CURRENT, Optional.of(""))
                .versionId()).isEqualTo("v1");
    }

    @Test
    void putWithMatchingExpectedCurrentSucceeds() {
        store.put("github-token", utf8("one"), Label.CURRENT, Optional.of(""));
        SecretVersion v2 = store.put("github-token", utf8("two"), Label.CURRENT,
                Optional.of("v1"));
        assertThat(v2.versionId()).isEqualTo("v2");
        assertThat(v2.labels()).containsExactly(Label.CURRENT);
    }

    @Test
    void promoteWithStaleExpectedCurrentFailsAndChangesNothing() {
        store.put("github-token", utf8("one"), Label.CURRENT, ANY);
        store.put("github-token", utf8("two"), Label.PENDING, ANY);
        assertThatThrownBy(() -> store.promote("github-token", "v2", Optional.of("v7")))
                .isInstanceOf(VersionConflictException.class)
                .hasMessage("secret 'github-token' changed under you: expected current version v7"
                        + " but it is v1; read it again and retry");
        assertThat(labels("github-token")).containsExactly("v2=pending", "v1=current");
    }

    // ---- labels -------------------------------------------------------------------------------

    private List<String> labels(String name) {
        return store.versions(name).stream()
                .map(v -> v.versionId() + "=" + v.labels().stream().map(Label::lower)
                        .collect(Collectors.joining(",")))
                .toList();
    }

    @Test
    void versionIdsAreMonotonicPerSecret() {
        assertThat(store.put("a", utf8("1"), Label.CURRENT, ANY).versionId()).isEqualTo("v1");
        assertThat(store.put("b", utf8("1"), Label.CURRENT, ANY).versionId()).isEqualTo("v1");
        assertThat(store.put("a", utf8("2"), Label.PENDING, ANY).versionId()).isEqualTo("v2");
        assertThat(store.put("a", utf8("3"), Label.CURRENT, ANY).versionId()).isEqualTo("v3");
    }

    @Test
    void newCurrentMovesOldCurrentToPreviousAndDropsTheOldPrevious() {
        store.put("s", utf8("1"), Label.CURRENT, ANY);
        store.put("s", utf8("2"), Label.CURRENT, ANY);
        assertThat(labels("s")).containsExactly("v2=current", "v1=previous");
        store.put("s", utf8("3"), Label.CURRENT, ANY);
        assertThat(labels("s")).containsExactly("v3=current", "v2=previous", "v1=");
    }

    @Test
    void newPendingReplacesTheOldPendingAndLeavesCurrentAlone() {
        store.put("s", utf8("1"), Label.CURRENT, ANY);
        store.put("s", utf8("2"), Label.PENDING, ANY);
        store.put("s", utf8("3"), Label.PENDING, ANY);
        assertThat(labels("s")).containsExactly("v3=pending", "v2=", "v1=current");
    }

    @Test
    void promoteMovesPendingToCurrentAndCurrentToPrevious() {
        store.put("s", utf8("1"), Label.CURRENT, ANY);
        store.put("s", utf8("0"), Label.CURRENT, ANY);
        store.put("s", utf8("2"), Label.PENDING, ANY);
        SecretVersion promoted = store.promote("s", "v3", Optional.of("v2"));
        assertThat(promoted.versionId()).isEqualTo("v3");
        assertThat(promoted.labels()).containsExactly(Label.CURRENT);
        assertThat(labels("s")).containsExactly("v3=current", "v2=previous", "v1=");
        try (SecretValue v = store.current("s")) {
            assertThat(v.bytes()).isEqualTo(utf8("2"));
        }
    }

    @Test
    void promotingThePreviousVersionRollsBack() {
        store.put("s", utf8("1"), Label.CURRENT, ANY);
        store.put("s", utf8("2"), Label.CURRENT, ANY);
        store.promote("s", "v1", ANY);
        assertThat(labels("s")).containsExactly("v2=previous", "v1=current");
    }

    @Test
    void promotingTheCurrentVersionChangesNothing() {
        store.put("s", utf8("1"), Label.CURRENT, ANY);
        store.put("s", utf8("2"), Label.CURRENT, ANY);
        store.promote("s", "v2", Optional.of("v2"));
        assertThat(labels("s")).containsExactly("v2=current", "v1=previous");
    }

    @Test
    void promotingTheFirstPendingOfANewSecretMakesItCurrent() {
        store.put("s", utf8("1"), Label.PENDING, ANY);
        store.promote("s", "v1", Optional.of(""));
        assertThat(labels("s")).containsExactly("v1=current");
    }

    @Test
    void listGroupsByNameInOrderNewestFirst() {
        store.put("b", utf8("1"), Label.CURRENT, ANY);
        store.put("a", utf8("1"), Label.CURRENT, ANY);
        store.put("a", utf8("2"), Label.PENDING, ANY);
        assertThat(store.list()).extracting(v -> v.name() + "/" + v.versionId())
                .containsExactly("a/v2", "a/v1", "b/v1");
    }

    @Test
    void putsAndPromotionsAreAudited() {
        store.put("s", utf8("1"), Label.CURRENT, ANY);
        store.put("s", utf8("2"), Label.PENDING, ANY);
        store.promote("s", "v2", ANY);
        List<AuditRecord> records = f.audit.forCredential("s", Optional.empty());
        assertThat(records).extracting(AuditRecord::kind, AuditRecord::versionId)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(AuditEventKind.SECRET_PUT, "v1"),
                        org.assertj.core.groups.Tuple.tuple(AuditEventKind.SECRET_PUT, "v2"),
                        org.assertj.core.groups.Tuple.tuple(AuditEventKind.SECRET_PROMOTED, "v2"));
        assertThat(f.audit.verify().ok()).isTrue();
    }

    // ---- concurrency --------------------------------------------------------------------------

    @Test
    void concurrentPutsFromEightThreadsGetDistinctIdsAndLeaveExactlyOneCurrent() throws Exception {
        int threads = 8;
        int perThread = 10;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<String>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    List<String> ids = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        ids.add(store.put("shared", utf8(id + ":" + i), Label.CURRENT, ANY)
                                .versionId());
                    }
                    return ids;
                }));
            }
            start.countDown();
            List<String> all = new ArrayList<>();
            for (Future<List<String>> fu : futures) {
                all.addAll(fu.get());
            }
            assertThat(all).doesNotHaveDuplicates().hasSize(threads * perThread);
            assertThat(all).containsExactlyInAnyOrderElementsOf(
                    IntStream.rangeClosed(1, threads * perThread).mapToObj(i -> "v" + i).toList());
        } finally {
            pool.shutdownNow();
        }
        List<SecretVersion> versions = store.versions("shared");
        assertThat(versions).filteredOn(SecretVersion::isCurrent).hasSize(1);
        assertThat(versions.get(0).isCurrent()).isTrue();
        assertThat(versions).filteredOn(v -> v.labels().contains(Label.PREVIOUS)).hasSize(1);
        assertThat(f.audit.verify().ok()).isTrue();
    }

    @Test
    void concurrentCompareAndSetWritersNeverLoseAnUpdate() throws Exception {
        store.put("counter", utf8("0"), Label.CURRENT, ANY);
        int threads = 8;
        int successesPerThread = 5;
        ConcurrentLinkedQueue<String> edges = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Callable<Void>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                work.add(() -> {
                    int done = 0;
                    while (done < successesPerThread) {
                        String seen = store.currentVersionId("counter").orElseThrow();
                        try {
                            String made = store.put("counter", utf8("after " + seen),
                                    Label.CURRENT, Optional.of(seen)).versionId();
                            edges.add(seen + "->" + made);
                            done++;
                        } catch (VersionConflictException lost) {
                            // Someone else won this round; read again and retry.
                        }
                    }
                    return null;
                });
            }
            for (Future<Void> fu : pool.invokeAll(work)) {
                fu.get();
            }
        } finally {
            pool.shutdownNow();
        }
        int n = threads * successesPerThread;
        // Every successful write built on the one before it: a single chain v1 -> ... -> vN+1.
        assertThat(edges).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, n)
                .mapToObj(i -> "v" + i + "->v" + (i + 1)).toList());
    }

    // ---- nothing in plaintext on disk ---------------------------------------------------------

    @Test
    void plaintextValueAppearsInNoFileUnderTheStateDirectory() throws Exception {
        String marker = java.util.UUID.randomUUID().toString();
        String canary = "canary-" + marker + "-value=with\nnewline";
        byte[] value = utf8(canary);
        for (int i = 0; i < 5; i++) {
            store.put("canary", value, i % 2 == 0 ? Label.CURRENT : Label.PENDING, ANY);
        }
        store.put("canary-2", value, Label.CURRENT, ANY);
        try (SecretValue v = store.current("canary")) {
            assertThat(v.bytes()).isEqualTo(value);
        }
        List<byte[]> forms = List.of(value,
                utf8(Base64.getEncoder().encodeToString(value)),
                utf8(Base64.getEncoder().withoutPadding().encodeToString(value)),
                utf8(Base64.getUrlEncoder().withoutPadding().encodeToString(value)),
                utf8(HexFormat.of().formatHex(value)),
                utf8(HexFormat.of().withUpperCase().formatHex(value)),
                utf8(marker));
        assertNoFileContainsAnyOf(f.stateDir, forms);
        f.close();
        // And after close, when SQLite has checkpointed its WAL into the main file.
        assertNoFileContainsAnyOf(f.stateDir, forms);
        f = new StoreFixture(f.stateDir);
        store = f.store;
    }

    private static void assertNoFileContainsAnyOf(Path root, List<byte[]> needles)
            throws Exception {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).isNotEmpty();
        for (Path file : files) {
            byte[] content = Files.readAllBytes(file);
            for (byte[] needle : needles) {
                assertThat(indexOf(content, needle))
                        .as("a form of the value in %s", file.getFileName())
                        .isEqualTo(-1);
            }
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // ---- tampering and wrong keys -------------------------------------------------------------

    @Test
    void wrongMasterKeyGivesAClearErrorNamingTheCredentialAndVersion() {
        store.put("github-token", utf8("ghp_realvalue"), Label.CURRENT, ANY);
        EmbeddedSecretsStore other = new EmbeddedSecretsStore(f.db,
                MasterKey.loadOrCreate(dir.resolve("other.key")), f.audit);
        assertThatThrownBy(() -> other.current("github-token"))
                .isInstanceOf(ProviderUnavailableException.class)
                .hasMessageStartingWith("secret 'github-token' version v1 cannot be decrypted:"
                        + " the master key " + dir.resolve("other.key") + " is not the key it"
                        + " was stored with, or its row in the database was altered.")
                .hasMessageNotContaining("ghp_realvalue")
                .hasMessageNotContaining("AEADBadTag");
    }

    @Test
    void tamperedCiphertextGivesAClearError() throws Exception {
        store.put("github-token", utf8("ghp_realvalue"), Label.CURRENT, ANY);
        try (Connection c = f.db.dataSource().getConnection()) {
            String ct;
            try (PreparedStatement q = c.prepareStatement(
                    "SELECT ciphertext FROM secret_versions WHERE name = 'github-token'");
                    ResultSet rs = q.executeQuery()) {
                rs.next();
                ct = rs.getString(1);
            }
            byte[] raw = Base64.getDecoder().decode(ct);
            raw[0] ^= 1;
            try (PreparedStatement u = c.prepareStatement(
                    "UPDATE secret_versions SET ciphertext = ? WHERE name = 'github-token'")) {
                u.setString(1, Base64.getEncoder().encodeToString(raw));
                u.executeUpdate();
            }
        }
        assertThatThrownBy(() -> store.current("github-token"))
                .isInstanceOf(ProviderUnavailableException.class)
                .hasMessageStartingWith("secret 'github-token' version v1 cannot be decrypted");
    }

    @Test
    void ciphertextCopiedToAnotherVersionFailsToDecrypt() throws Exception {
        store.put("s", utf8("old"), Label.CURRENT, ANY);
        store.put("s", utf8("new"), Label.CURRENT, ANY);
        try (Connection c = f.db.dataSource().getConnection();
                PreparedStatement u = c.prepareStatement("UPDATE secret_versions SET"
                        + " (nonce, ciphertext) = (SELECT nonce, ciphertext FROM secret_versions"
                        + " WHERE name = 's' AND version_no = 1)"
                        + " WHERE name = 's' AND version_no = 2")) {
            assertThat(u.executeUpdate()).isEqualTo(1);
        }
        assertThatThrownBy(() -> store.current("s"))
                .isInstanceOf(ProviderUnavailableException.class)
                .hasMessageStartingWith("secret 's' version v2 cannot be decrypted");
        try (SecretValue v1 = store.version("s", "v1")) {
            assertThat(v1.bytes()).isEqualTo(utf8("old"));
        }
    }

    @Test
    void ciphertextCopiedToAnotherSecretFailsToDecrypt() throws Exception {
        store.put("a", utf8("value-of-a"), Label.CURRENT, ANY);
        store.put("b", utf8("value-of-b"), Label.CURRENT, ANY);
        try (Connection c = f.db.dataSource().getConnection();
                PreparedStatement u = c.prepareStatement("UPDATE secret_versions SET"
                        + " (nonce, ciphertext) = (SELECT nonce, ciphertext FROM secret_versions"
                        + " WHERE name = 'a') WHERE name = 'b'")) {
            u.executeUpdate();
        }
        assertThatThrownBy(() -> store.current("b"))
                .isInstanceOf(ProviderUnavailableException.class)
                .hasMessageStartingWith("secret 'b' version v1 cannot be decrypted");
    }

    @Test
    void databaseFailureIsProviderUnavailable() {
        store.put("s", utf8("1"), Label.CURRENT, ANY);
        f.db.close();
        assertThatThrownBy(() -> store.current("s"))
                .isInstanceOf(ProviderUnavailableException.class)
                .hasMessageStartingWith("the embedded store's database failed while reading"
                        + " secret 's': ");
        assertThatThrownBy(() -> store.put("s", utf8("2"), Label.CURRENT, ANY))
                .isInstanceOf(ProviderUnavailableException.class)
                .hasMessageContaining("while storing secret 's'")
                .hasMessageContaining("nothing was changed");
    }

    @Test
    void toStringShowsNoKeyOrValue() {
        assertThat(store.toString()).startsWith("EmbeddedSecretsStore[")
                .contains("master.key");
        assertThat(Set.of(f.key.toString())).allMatch(s -> s.equals("MasterKey[file="
                + f.key.file() + "]"));
    }
}
