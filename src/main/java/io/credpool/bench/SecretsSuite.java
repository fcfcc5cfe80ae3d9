package io.credpool.bench;

import io.credpool.audit.AuditEvent;
import io.credpool.audit.AuditEventKind;
import io.credpool.secrets.Label;
import io.credpool.secrets.SecretValue;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** The embedded store and audit log against a plain in-memory map. */
public final class SecretsSuite {
    private SecretsSuite() {
    }

    public static void run(Bench bench, BenchEnv env) {
        Map<String, byte[]> map = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            map.put("bench-key-" + i, new byte[40]);
        }
        int n = bench.reps(2000);
        AtomicInteger i = new AtomicInteger();
        String base = "in-memory map read";
        bench.latency("secrets", base, null, n, n, () -> {
            if (map.get("bench-key-" + (i.incrementAndGet() % 100)) == null) {
                throw new IllegalStateException("missing");
            }
        });
        bench.latency("secrets", "embedded store read (current, decrypt)", base, n / 10, n, () -> {
            try (SecretValue v = env.credpool().secrets().current("bench-key-" + (i.incrementAndGet() % 100))) {
                if (v.length() == 0) {
                    throw new IllegalStateException("empty");
                }
            }
        });
        int writes = bench.reps(200);
        byte[] value = "bench-value-0123456789".getBytes(StandardCharsets.US_ASCII);
        bench.latency("secrets", "embedded store put (encrypt, CAS, audit, fsync)", base, writes / 10, writes, () ->
                env.credpool().secrets().put("bench-put", value, Label.CURRENT, Optional.empty()));
        bench.latency("secrets", "audit append (hash chain, fsync)", base, writes / 10, writes, () ->
                env.credpool().audit().append(AuditEvent.of(AuditEventKind.TASK_FINISHED).withTask("t-bench", "bench-0")
                        .withDetail("exit 0")));
    }
}
