package io.credpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `credpool rotate` and `credpool rotation` without a server: dry run, progress, pause, refusals, list and show. */
class RotateCliTest {
    private static final String OLD = "manual-old-value-0123456789";
    private static final String NEW = "manual-new-value-9876543210";

    @TempDir
    Path tmp;
    Path home;
    Cli cli;

    @BeforeEach
    void setUp() throws Exception {
        home = tmp.resolve("home");
        cli = new Cli(home);
        assertThat(cli.run("init").status()).isZero();
        Files.writeString(home.resolve("credpool.yaml"), """
                credentials:
                  api-key:
                    issuer: {kind: manual}
                    rotation: {every: 30d, grace: 0s}
                task_types:
                  use:
                    credentials: [{name: api-key, env: API_KEY}]
                """, StandardCharsets.UTF_8);
        assertThat(cli.runWithStdin(OLD.getBytes(StandardCharsets.UTF_8), "secret", "put", "api-key").status()).isZero();
    }

    @Test
    void aDryRunPrintsTheChecklistAndChangesNothing() {
        Cli.Result r = cli.run("rotate", "api-key", "--dry-run");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("""
                dry run: rotating 'api-key' would:
                  1/6 create a new credential in the issuer (manual); v1 stays valid
                  2/6 store it as a new version of 'api-key' labelled pending
                  3/6 no warm pool bakes 'api-key' in: nothing to rebuild
                  4/6 verify it with the issuer; on failure roll back
                  5/6 promote it to current; drain v1 (grace 0s, then rekey sessions still holding it)
                  6/6 revoke v1 in the issuer and confirm from the audit log that nothing received it after the drain
                """);
        assertThat(cli.run("rotation", "list").out()).isEqualTo("no rotations yet; start one with: credpool rotate NAME\n");
    }

    @Test
    void anUnconfirmedManualRevocationPausesAndASecondRotationOrAnAbortIsRefusedWithTheReason() {
        Cli.Result r = cli.runWithStdin(NEW.getBytes(StandardCharsets.UTF_8), "rotate", "api-key", "--value-stdin");
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.out()).contains("1/6 create: the new credential exists in manual beside the old one\n",
                "2/6 store pending: stored as v2 (pending)\n", "5/6 promote: v2 is current; v1 is previous\n",
                "PAUSED: the issuer (manual) of 'api-key' refused: credential 'api-key' is issued by hand and the operator did not"
                        + " confirm that");
        String id = r.out().lines().filter(l -> l.startsWith("rotation r-")).findFirst().orElseThrow().split(" ")[1];

        Cli.Result again = cli.run("rotate", "api-key");
        assertThat(again.status()).isEqualTo(125);
        assertThat(again.err()).startsWith("credpool: rotation of 'api-key' is already in progress (id " + id + ", step revoke_old)");

        Cli.Result abort = cli.run("rotate", "api-key", "--abort");
        assertThat(abort.status()).isEqualTo(125);
        assertThat(abort.err()).startsWith("credpool: rotation " + id + " of 'api-key' cannot be aborted: the new version v2 was promoted at ");

        Cli.Result list = cli.run("rotation", "list");
        assertThat(list.out()).contains(id, "api-key", "paused", "revoke_old", "v1", "v2");
        Cli.Result show = cli.run("rotation", "show", id, "--output", "json");
        assertThat(show.status()).isZero();
        assertThat(show.out()).contains("\"status\" : \"paused\"", "\"step\" : \"store_pending\"").doesNotContain(NEW, OLD);
        assertThat(cli.run("rotation", "show", id).out()).contains("versions: v1 -> v2").doesNotContain(NEW, OLD);
        assertThat(r.out() + r.err()).doesNotContain(NEW).doesNotContain(OLD);
    }

    @Test
    void unknownRotationsAndCredentialsAreNamedInTheError() {
        assertThat(cli.run("rotation", "show", "r-nope").err()).isEqualTo("credpool: no rotation 'r-nope'; list them with `credpool"
                + " rotation list`\n");
        assertThat(cli.run("rotate", "nope").err()).isEqualTo("credpool: credential 'nope' is not in credpool.yaml; add it under"
                + " credentials: with an issuer: to rotate it\n");
    }
}
