package io.credpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.credpool.scan.WorkspaceScannerTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScanCliTest {
    private static final String VALUE = "cli-scan-value-" + "5b1e9a7c3d";

    @TempDir
    Path tmp;
    Cli cli;
    Path repo;

    @BeforeEach
    void setUp() throws Exception {
        cli = new Cli(tmp.resolve("home"));
        assertThat(cli.run("init").status()).isZero();
        assertThat(cli.runWithStdin(VALUE.getBytes(StandardCharsets.UTF_8), "secret", "put", "api-key").status()).isZero();
        repo = Files.createDirectories(tmp.resolve("repo"));
        Files.writeString(repo.resolve("README.md"), "hello\n");
    }

    @Test
    void aCleanTreeExitsZero() {
        Cli.Result r = cli.run("scan", repo.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("clean: 0 findings in 1 files");
    }

    @Test
    void findingsExitOneWithFileLineAndFingerprintButNoValue() throws Exception {
        Files.writeString(repo.resolve("AGENTS.md"), "# agents\nkey: " + VALUE + "\n" + WorkspaceScannerTest.GHP + "\n");
        Files.write(repo.resolve("blob.bin"), ("\0" + VALUE).getBytes(StandardCharsets.UTF_8));

        Cli.Result r = cli.run("scan", repo.toString());

        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).containsPattern("AGENTS.md:2:6  credential 'api-key' version v1 \\(raw\\)  fingerprint [0-9a-f]{16}\n")
                .containsPattern("AGENTS.md:3:1  rule github-token \\(GitHub token\\)  fingerprint [0-9a-f]{16}\n")
                .contains("SECRETS FOUND: 2 findings in 2 files", "1 binary file skipped")
                .doesNotContain(VALUE).doesNotContain(WorkspaceScannerTest.GHP);
        assertThat(r.err()).doesNotContain(VALUE);
    }

    @Test
    void jsonOutputListsFindingsAndSkippedFiles() throws Exception {
        Files.writeString(repo.resolve(".env"), "X=" + VALUE + "\n");
        Cli.Result r = cli.run("scan", repo.toString(), "--output", "json");
        assertThat(r.status()).isEqualTo(1);
        JsonNode json = Json.MAPPER.readTree(r.out());
        assertThat(json.get("findings").get(0).get("path").asText()).isEqualTo(".env");
        assertThat(json.get("findings").get(0).get("credential").asText()).isEqualTo("api-key");
        assertThat(r.out()).doesNotContain(VALUE);
    }

    @Test
    void oversizedFilesAreListedAsNotScanned() throws Exception {
        Path config = tmp.resolve("scan.yaml");
        Files.writeString(config, "task_types:\n  t: {}\nscan:\n  max_file_size: 1KB\n");
        Files.writeString(repo.resolve("big.txt"), "x".repeat(4096));
        Cli.Result r = cli.run("scan", repo.toString(), "--config", config.toString());
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("big.txt  not scanned: too-large (4.0 KB)");
    }

    @Test
    void auditQueryAndReportRunOnAFreshHome() {
        Cli.Result q = cli.run("audit", "query", "--credential", "api-key", "--version", "v1");
        assertThat(q.status()).as(q.err()).isZero();
        assertThat(q.out()).endsWith("0 receipts of api-key v1\n");
        Cli.Result report = cli.run("audit", "report", "--since", "7d", "--output", "html");
        assertThat(report.status()).as(report.err()).isZero();
        assertThat(report.out()).startsWith("<!DOCTYPE html>").doesNotContain(VALUE);
        assertThat(cli.run("audit", "report", "--since", "soon").status()).isEqualTo(2);
    }
}
