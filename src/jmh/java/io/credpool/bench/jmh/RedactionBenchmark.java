package io.credpool.bench.jmh;

import io.credpool.redact.RedactingSink;
import io.credpool.redact.Redactor;
import io.credpool.sandbox.OutputSink;
import io.credpool.secrets.SecretValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * A task's output through {@link RedactingSink} with N secrets (each in all its encodings): 1 MiB
 * of log-like text in 8 KiB writes, as the sandbox pumps deliver it, with a secret in every 64 KiB
 * so replacement is exercised. One operation is one MiB: ops/s is MiB/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
public class RedactionBenchmark {
    static final int MIB = 1 << 20;
    static final int WRITE = 8 * 1024;

    @Param({"1", "10", "100"})
    public int secrets;

    private Redactor redactor;
    private byte[] output;

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(secrets);
        List<SecretValue> values = new ArrayList<>();
        List<byte[]> raw = new ArrayList<>();
        for (int i = 0; i < secrets; i++) {
            byte[] v = token(random).getBytes(StandardCharsets.US_ASCII);
            raw.add(v);
            values.add(SecretValue.of("jmh-" + i, "v1", v));
        }
        redactor = Redactor.of(values);
        StringBuilder sb = new StringBuilder(MIB + 200);
        int line = 0;
        while (sb.length() < MIB) {
            sb.append("2025-01-02T03:04:05Z INFO step ").append(line++).append(": compiled module ")
                    .append(Integer.toHexString(random.nextInt())).append(" in ").append(random.nextInt(900)).append(" ms\n");
            if (line % 700 == 0) {
                sb.append("export TOKEN=").append(new String(raw.get(line % raw.size()), StandardCharsets.US_ASCII)).append('\n');
            }
        }
        output = sb.substring(0, MIB).getBytes(StandardCharsets.US_ASCII);
    }

    private static String token(Random random) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder sb = new StringBuilder("tok_");
        for (int i = 0; i < 36; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    @Benchmark
    public void redactOneMiB(Blackhole bh) {
        OutputSink downstream = (stream, buf, off, len) -> bh.consume(buf[off]);
        RedactingSink sink = new RedactingSink(redactor, downstream);
        for (int off = 0; off < output.length; off += WRITE) {
            sink.write(OutputSink.Stream.STDOUT, output, off, Math.min(WRITE, output.length - off));
        }
        sink.finish();
    }
}
