package io.credpool.bench;

import io.credpool.app.Credpool;
import io.credpool.app.CredpoolHome;
import io.credpool.app.Initializer;
import io.credpool.secrets.Label;
import io.credpool.task.Orchestrator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A throwaway credpool home for benchmarks: task types with 0, 1, 10 and 100 task-scope
 * credentials (random values in the embedded store), one with a warm pool and a pool-scope
 * credential, and an orchestrator over them (without pools: the pool suite starts its own).
 */
public final class BenchEnv implements AutoCloseable {
    public static final int[] CREDENTIAL_COUNTS = {1, 10, 100};

    private final Path dir;
    private final Credpool credpool;
    private final Orchestrator orchestrator;

    public BenchEnv() throws IOException {
        dir = Files.createTempDirectory("credpool-bench-");
        CredpoolHome home = new CredpoolHome(dir);
        Initializer.init(home);
        StringBuilder yaml = new StringBuilder("version: 1\ndefaults: {timeout: 1m}\ntask_types:\n  bench-0: {}\n");
        // The pool suite's type: one pool-scope credential baked into warm members.
        yaml.append("  bench-pool:\n    pool: {size: 4, max_age: 1h}\n    credentials:\n")
                .append("      - {name: bench-key-0, env: BENCH_POOL_KEY, scope: pool}\n");
        for (int n : CREDENTIAL_COUNTS) {
            yaml.append("  bench-").append(n).append(":\n    credentials:\n");
            for (int i = 0; i < n; i++) {
                yaml.append("      - {name: bench-key-").append(i).append(", env: BENCH_KEY_").append(i).append("}\n");
            }
        }
        Files.writeString(home.config(), yaml, StandardCharsets.UTF_8);
        credpool = Credpool.open(home);
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 100; i++) {
            byte[] b = new byte[20];
            random.nextBytes(b);
            credpool.secrets().put("bench-key-" + i, HexFormat.of().formatHex(b).getBytes(StandardCharsets.US_ASCII),
                    Label.CURRENT, Optional.empty());
        }
        orchestrator = credpool.orchestrator(null);
    }

    public Credpool credpool() {
        return credpool;
    }

    public Orchestrator orchestrator() {
        return orchestrator;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() throws IOException {
        orchestrator.close();
        credpool.close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
