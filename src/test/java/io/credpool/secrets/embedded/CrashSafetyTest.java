package io.credpool.secrets.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.credpool.audit.AuditEventKind;
import io.credpool.audit.AuditRecord;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real child JVMs writing to one store: killed with SIGKILL, and racing each other. */
class CrashSafetyTest {
    @TempDir
    Path dir;

    private Process startChild(Path stateDir, String name, int count, String mode, String tag)
            throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                // Child JVMs only put: keep their startup cheap on a 2-core machine.
                "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                PutLoop.class.getName(), stateDir.toString(), name, String.valueOf(count), mode,
                tag);
        pb.redirectError(dir.resolve(tag + ".stderr").toFile());
        return pb.start();
    }

    private static BufferedReader lines(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8));
    }

    private String stderrOf(String tag) throws IOException {
        Path f = dir.resolve(tag + ".stderr");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    @Test
    void killingAWriterAtRandomPointsNeverCorruptsTheStoreOrTheAuditChain() throws Exception {
        Path stateDir = dir.resolve("state");
        Random random = new Random();
        // Which value each committed-and-reported version holds.
        Map<String, byte[]> reported = new HashMap<>();
        for (int round = 0; round < 4; round++) {
            String tag = "round" + round;
            Process child = startChild(stateDir, "crashy", -1, "plain", tag);
            try {
                BufferedReader out = lines(child);
                assertThat(out.readLine()).as("child start; stderr: %s", stderrOf(tag))
                        .isEqualTo("ready");
                int killAfter = 1 + random.nextInt(15);
                for (int i = 0; i < killAfter; i++) {
                    String line = out.readLine();
                    assertThat(line).as("child output; stderr: %s", stderrOf(tag)).isNotNull();
                    String[] parts = line.split(" ");
                    reported.put(parts[3], PutLoop.value(tag, Integer.parseInt(parts[1])));
                }
            } finally {
                // SIGKILL: most likely in the middle of the next put.
                child.destroyForcibly();
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            assertStoreIsConsistent(stateDir, "crashy", reported);
        }
    }

    private static void assertStoreIsConsistent(Path stateDir, String name,
            Map<String, byte[]> reported) {
        try (StoreFixture f = new StoreFixture(stateDir)) {
            assertThat(integrityCheck(f)).isEqualTo("ok");
            List<SecretVersion> versions = f.store.versions(name);
            int n = versions.size();
            assertThat(n).isGreaterThanOrEqualTo(reported.size());
            // Contiguous ids, newest first: v n, ..., v1.
            assertThat(versions).extracting(SecretVersion::versionId).containsExactlyElementsOf(
                    IntStream.iterate(n, i -> i >= 1, i -> i - 1).mapToObj(i -> "v" + i).toList());
            assertThat(versions).filteredOn(SecretVersion::isCurrent).hasSize(1);
            assertThat(versions.get(0).isCurrent()).isTrue();
            for (SecretVersion v : versions) {
                try (SecretValue value = f.store.version(name, v.versionId())) {
                    byte[] expected = reported.get(v.versionId());
                    if (expected != null) {
                        assertThat(value.bytes()).as(v.versionId()).isEqualTo(expected);
                    }
                }
            }
            // Every committed version has its audit record, and the chain is intact.
            assertThat(f.audit.verify().ok()).as("%s", f.audit.verify()).isTrue();
            assertThat(f.audit.forCredential(name, Optional.empty()))
                    .filteredOn(r -> r.kind() == AuditEventKind.SECRET_PUT)
                    .extracting(AuditRecord::versionId)
                    .containsExactlyInAnyOrderElementsOf(
                            versions.stream().map(SecretVersion::versionId).toList());
        }
    }

    private static String integrityCheck(StoreFixture f) {
        try (var c = f.db.dataSource().getConnection();
                var s = c.createStatement();
                var rs = s.executeQuery("PRAGMA integrity_check")) {
            rs.next();
            return rs.getString(1);
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void twoProcessesWritingTheSameSecretWithCompareAndSetLoseAndDuplicateNothing()
            throws Exception {
        // Both children start on an empty state directory: they also race to create the master
        // key and to migrate the schema.
        Path stateDir = dir.resolve("shared-state");
        int perChild = 20;
        Process a = startChild(stateDir, "shared", perChild, "cas", "a");
        Process b = startChild(stateDir, "shared", perChild, "cas", "b");
        List<String> edges = new ArrayList<>();
        Map<String, byte[]> reported = new HashMap<>();
        for (var entry : Map.of("a", a, "b", b).entrySet()) {
            Process p = entry.getValue();
            try (BufferedReader out = lines(p)) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("ok ")) {
                        String[] parts = line.split(" ");
                        edges.add(parts[2] + "->" + parts[3]);
                        reported.put(parts[3],
                                PutLoop.value(entry.getKey(), Integer.parseInt(parts[1])));
                    }
                }
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("child %s; stderr: %s", entry.getKey(),
                    stderrOf(entry.getKey())).isZero();
        }
        int n = 2 * perChild;
        // A single chain (none) -> v1 -> ... -> vN: every write built on the one before it.
        List<String> chain = new ArrayList<>();
        chain.add("(none)->v1");
        IntStream.range(1, n).forEach(i -> chain.add("v" + i + "->v" + (i + 1)));
        assertThat(edges).containsExactlyInAnyOrderElementsOf(chain);
        assertStoreIsConsistent(stateDir, "shared", reported);
    }

    @Test
    void twoProcessesPuttingWithoutCompareAndSetGetDistinctContiguousVersions() throws Exception {
        Path stateDir = dir.resolve("plain-state");
        // Create the store first so both children start writing at about the same time.
        new StoreFixture(stateDir).close();
        int perChild = 20;
        Process a = startChild(stateDir, "plain", perChild, "plain", "pa");
        Process b = startChild(stateDir, "plain", perChild, "plain", "pb");
        List<String> ids = new ArrayList<>();
        Map<String, byte[]> reported = new HashMap<>();
        for (var entry : Map.of("pa", a, "pb", b).entrySet()) {
            Process p = entry.getValue();
            try (BufferedReader out = lines(p)) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("ok ")) {
                        String[] parts = line.split(" ");
                        ids.add(parts[3]);
                        reported.put(parts[3],
                                PutLoop.value(entry.getKey(), Integer.parseInt(parts[1])));
                    }
                }
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("stderr: %s", stderrOf(entry.getKey())).isZero();
        }
        assertThat(ids).doesNotHaveDuplicates().hasSize(2 * perChild);
        assertStoreIsConsistent(stateDir, "plain", reported);
    }
}
