package io.credpool.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.config.ScanSettings;
import io.credpool.secrets.SecretValue;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class WorkspaceScannerTest {
    /** Built at run time so this source file itself holds no token-shaped string. */
    public static final String GHP = "ghp_" + random(36);
    static final String VALUE = "s3cr3t-" + random(24);

    @TempDir
    Path ws;

    static String random(int n) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        SecureRandom r = new SecureRandom();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    private WorkspaceScanner scanner(long maxFile, long maxWorkspace, String... refs) {
        KnownSecrets known = KnownSecrets.of(List.of(SecretValue.of("db-password", "v3", VALUE.getBytes(StandardCharsets.UTF_8))));
        return WorkspaceScanner.compile(known, SecretRule.defaults(ScanSettings.DEFAULT_MIN_ENTROPY), List.of(refs), maxFile, maxWorkspace);
    }

    private ScanResult scan() throws Exception {
        return scanner(1 << 20, 1 << 30).scan(ws, Allowlist.empty());
    }

    private void write(String path, String text) throws Exception {
        Path p = ws.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
    }

    private static void assertNoValueIn(Object o) {
        String s = String.valueOf(o);
        assertThat(s).doesNotContain(VALUE).doesNotContain(GHP)
                .doesNotContain(Base64.getEncoder().withoutPadding().encodeToString(VALUE.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aKnownValueIsFoundInEveryEncodingWithFileAndLine() throws Exception {
        byte[] v = VALUE.getBytes(StandardCharsets.UTF_8);
        write("raw.txt", "one\ntwo " + VALUE + "\n");
        write("b64.txt", "x\ny\nz: " + Base64.getEncoder().encodeToString(v) + "\n");
        write("b64url.txt", Base64.getUrlEncoder().withoutPadding().encodeToString(v));
        write("hex.txt", "\n" + HexFormat.of().formatHex(v).toUpperCase());
        write("url.txt", "u=" + java.net.URLEncoder.encode(VALUE, StandardCharsets.UTF_8));

        ScanResult r = scan();

        assertThat(r.findings()).extracting(f -> f.path() + ":" + f.line() + " " + f.credential() + "@" + f.version())
                .contains("raw.txt:2 db-password@v3", "b64.txt:3 db-password@v3", "b64url.txt:1 db-password@v3",
                        "hex.txt:2 db-password@v3", "url.txt:1 db-password@v3");
        assertThat(r.findings()).filteredOn(f -> f.path().equals("raw.txt")).singleElement()
                .satisfies(f -> assertThat(f.column()).isEqualTo(5));
        assertNoValueIn(r);
        r.findings().forEach(WorkspaceScannerTest::assertNoValueIn);
    }

    @Test
    void secretShapedStringsAreFoundByRule() throws Exception {
        write("AGENTS.md", "# Agents\n\nUse token " + GHP + " for pushes.\n");
        write(".env", "AWS_ACCESS_KEY_ID=AKIA" + "QYLPMN5HFIQR7XYZ\n");
        write("deploy/key.pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n");
        write("slack.sh", "curl -H 'Authorization: Bearer xoxb-" + "1234567890-" + random(24) + "'\n");
        write("config.py", "\n\napi_key = \"" + random(32) + "\"\n");
        write("fine.txt", "github_pat_" + random(82) + "\n");

        ScanResult r = scan();

        assertThat(r.findings()).extracting(f -> f.path() + ":" + f.line() + " " + f.rule()).containsExactlyInAnyOrder(
                ".env:1 aws-access-key-id", "AGENTS.md:3 github-token", "config.py:3 generic-secret-assignment",
                "deploy/key.pem:1 private-key", "fine.txt:1 github-fine-grained-pat", "slack.sh:1 slack-token");
        assertNoValueIn(r);
    }

    @Test
    void lowEntropyAssignmentsAndOrdinaryCodeAreNotFindings() throws Exception {
        write("app.py", "password = \"changeme-changeme\"\ntoken = os.environ['API_TOKEN']\nkeyboard = \"qwertyuiopasdfghjkl\"\n"
                + "monkey = 1\nsecret: ${SECRET_FROM_ENV}\n");
        assertThat(scan().findings()).isEmpty();
    }

    @Test
    void binaryFilesAreSkippedAndListed() throws Exception {
        byte[] data = ("\0\1\2" + VALUE).getBytes(StandardCharsets.UTF_8);
        Files.write(ws.resolve("image.png"), data);
        ScanResult r = scan();
        assertThat(r.findings()).isEmpty();
        assertThat(r.skipped()).containsExactly(new SkippedFile("image.png", SkippedFile.Reason.BINARY, data.length));
        assertThat(r.files()).isZero();
    }

    @Test
    void oversizedFilesAreReportedNotSilentlyIgnored() throws Exception {
        write("big.log", "x".repeat(2000) + VALUE);
        write("small.txt", "fine");
        ScanResult r = scanner(1000, 1 << 30).scan(ws, Allowlist.empty());
        assertThat(r.skipped()).containsExactly(new SkippedFile("big.log", SkippedFile.Reason.TOO_LARGE, 2000 + VALUE.length()));
        assertThat(r.incomplete()).isFalse();
        assertThat(r.files()).isEqualTo(1);
    }

    @Test
    void theWorkspaceLimitMakesTheScanIncomplete() throws Exception {
        write("a.txt", "x".repeat(600));
        write("b.txt", "y".repeat(600));
        ScanResult r = scanner(1 << 20, 1000).scan(ws, Allowlist.empty());
        assertThat(r.incomplete()).isTrue();
        assertThat(r.skipped(SkippedFile.Reason.WORKSPACE_LIMIT)).isEqualTo(1);
    }

    @Test
    void aWorkspaceAllowlistSuppressesRuleFindingsButNeverKnownValues() throws Exception {
        write("testdata/key.pem", "-----BEGIN PRIVATE KEY-----\n");
        write("notes.txt", VALUE + "\n");
        String known = scan().findings().stream().filter(Finding::isKnownSecret).findFirst().orElseThrow().fingerprint();
        write(Allowlist.WORKSPACE_FILE, "# fixtures\ntestdata/** private-key\n" + known + "\n* known-secret\n");

        ScanResult r = scan();

        assertThat(r.findings()).extracting(Finding::path).containsExactly("notes.txt");
        assertThat(r.allowlisted()).isEqualTo(1);
    }

    @Test
    void theOperatorAllowlistMaySuppressAKnownValueByFingerprint() throws Exception {
        write("notes.txt", VALUE + "\n");
        Finding f = scan().findings().get(0);
        Allowlist operator = Allowlist.parse("ops-allow", List.of(f.fingerprint()), true);
        ScanResult r = scanner(1 << 20, 1 << 30).scan(ws, operator);
        assertThat(r.findings()).isEmpty();
        assertThat(r.allowlisted()).isEqualTo(1);
    }

    @Test
    void aMalformedAllowlistLineIsReportedWithFileAndLineButNotEchoed() {
        assertThatThrownBy(() -> Allowlist.parse(".credpool-allow", List.of("# ok", "docs/** *", VALUE + " x y"), false))
                .hasMessage(".credpool-allow:3: expected a 16-hex-digit fingerprint, or a path glob and a rule id"
                        + " (e.g. `testdata/** private-key`); never a value")
                .satisfies(WorkspaceScannerTest::assertNoValueIn);
    }

    @Test
    void environmentReadsAreFoundInManyLanguagesButNotInProse() throws Exception {
        write("run.sh", "echo ${A_TOKEN}\n");
        write("index.js", "const k = process.env.B_KEY;\n");
        write("main.py", "os.environ['C_KEY']; os.getenv(\"D_KEY\")\n");
        write("Main.java", "System.getenv(\"E_KEY\");\n");
        write("app.rb", "ENV.fetch('F_KEY')\n");
        write("README.md", "Set G_KEY to your key. Also H_KEYS is not H_KEY.\n");

        ScanResult r = scanner(1 << 20, 1 << 30, "A_TOKEN", "B_KEY", "C_KEY", "D_KEY", "E_KEY", "F_KEY", "G_KEY", "H_KEY")
                .scan(ws, Allowlist.empty());

        assertThat(r.references().keySet()).containsExactlyInAnyOrder("A_TOKEN", "B_KEY", "C_KEY", "D_KEY", "E_KEY", "F_KEY");
        assertThat(r.references().get("B_KEY")).isEqualTo("index.js:1");
        assertThat(References.in("sh -c 'echo $X_KEY $Y'", Set.of("X_KEY", "Y", "Z"))).containsExactlyInAnyOrder("X_KEY", "Y");
    }

    @Test
    void symbolicLinksAreNotFollowed() throws Exception {
        Path outside = Files.createTempFile("outside", ".txt");
        try {
            Files.writeString(outside, VALUE);
            Files.createSymbolicLink(ws.resolve("link.txt"), outside);
            assertThat(scan().findings()).isEmpty();
        } finally {
            Files.delete(outside);
        }
    }

    @Test
    void tooShortValuesAreNotSearchedForAndANoteSaysSo() {
        KnownSecrets k = KnownSecrets.of(List.of(SecretValue.of("pin", "v1", "1234".getBytes(StandardCharsets.UTF_8))));
        assertThat(k.patternCount()).isZero();
        assertThat(k.notes()).containsExactly("credential 'pin' version v1 is 4 bytes, shorter than 8: not searched for"
                + " (it would match everywhere)");
    }
}
