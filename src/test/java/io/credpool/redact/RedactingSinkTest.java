package io.credpool.redact;

import static io.credpool.redact.RedactorTest.secret;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.sandbox.OutputSink;
import io.credpool.sandbox.OutputSink.Stream;
import io.credpool.secrets.SecretValue;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RedactingSinkTest {

    /** Records what reaches the downstream sink, per stream. */
    static final class Capture implements OutputSink {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        int finishes;

        @Override
        public synchronized void write(Stream stream, byte[] buf, int off, int len) {
            (stream == Stream.STDOUT ? out : err).write(buf, off, len);
        }

        @Override
        public synchronized void finish() {
            finishes++;
        }

        String stdout() {
            return out.toString(UTF_8);
        }

        String stderr() {
            return err.toString(UTF_8);
        }
    }

    private static final String VALUE = "s3cr3t value/+?é~*";

    private static void write(OutputSink sink, Stream stream, String text) {
        byte[] b = text.getBytes(UTF_8);
        sink.write(stream, b, 0, b.length);
    }

    @ParameterizedTest
    @EnumSource(SecretEncoding.class)
    void aFormSplitAcrossTwoWritesIsRedactedAtEverySplitPoint(SecretEncoding encoding) {
        Redactor redactor = Redactor.of(List.of(secret("API_KEY", VALUE)));
        byte[] input = RedactorTest.concat("before ".getBytes(UTF_8), encoding.encode(VALUE.getBytes(UTF_8)),
                " after".getBytes(UTF_8));

        for (int split = 0; split <= input.length; split++) {
            Capture capture = new Capture();
            RedactingSink sink = new RedactingSink(redactor, capture);
            sink.write(Stream.STDOUT, input, 0, split);
            sink.write(Stream.STDOUT, input, split, input.length - split);
            sink.finish();

            assertThat(capture.stdout()).as("split at %d", split).isEqualTo("before ***API_KEY*** after");
        }
    }

    @Test
    void oneByteWritesStillRedactEveryOccurrence() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2")));
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        byte[] input = "hunter2 x 68756e74657232 hunter2".getBytes(UTF_8);
        for (int i = 0; i < input.length; i++) {
            sink.write(Stream.STDOUT, input, i, 1);
        }
        sink.finish();

        assertThat(capture.stdout()).isEqualTo("***PW*** x ***PW*** ***PW***");
    }

    @Test
    void aValueAtTheVeryEndThatALongerValueCouldExtendIsHeldUntilFinish() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2"), secret("LONG", "hunter2-and-more")));
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        write(sink, Stream.STDOUT, "the password is hunter2");

        assertThat(capture.stdout()).isEqualTo("the password is ");

        sink.finish();

        assertThat(capture.stdout()).isEqualTo("the password is ***PW***");
    }

    @Test
    void aCompleteValueThatNothingCouldExtendIsRedactedWithoutWaitingForFinish() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2")));
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        write(sink, Stream.STDOUT, "the password is hunter2");

        assertThat(capture.stdout()).isEqualTo("the password is ***PW***");
    }

    @Test
    void onlyTheBytesThatCouldBeginAValueAreHeldBack() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2")));
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        write(sink, Stream.STDOUT, "nothing here but hunt");

        assertThat(capture.stdout()).isEqualTo("nothing here but ");

        write(sink, Stream.STDOUT, "ing");

        assertThat(capture.stdout()).isEqualTo("nothing here but hunting");
    }

    @Test
    void aPartialValueAtTheEndIsFlushedUnchangedAtFinish() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2")));
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        write(sink, Stream.STDOUT, "almost hunter");
        sink.finish();

        assertThat(capture.stdout()).isEqualTo("almost hunter");
    }

    @Test
    void bytesThatCannotStartAMatchArePassedOnInTheSameWrite() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2")));
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        String text = "x".repeat(10_000);
        write(sink, Stream.STDOUT, text);

        assertThat(capture.out.size()).isGreaterThanOrEqualTo(text.length() - redactor.holdBack());
    }

    @Test
    void withNothingToRedactEveryByteIsPassedOnImmediately() {
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(Redactor.of(List.of()), capture);
        write(sink, Stream.STDOUT, "all of it");

        assertThat(capture.stdout()).isEqualTo("all of it");
    }

    @Test
    void outputWithoutSecretsPassesByteForByteIncludingBinary() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2"), secret("KEY", "AKIA0123456789")));
        Random random = new Random(3);
        byte[] data = new byte[200_000];
        random.nextBytes(data);
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        int off = 0;
        while (off < data.length) {
            int len = Math.min(data.length - off, random.nextInt(100));
            sink.write(Stream.STDERR, data, off, len);
            off += len;
        }
        sink.finish();

        assertThat(capture.err.toByteArray()).isEqualTo(data);
        assertThat(capture.out.size()).isZero();
    }

    @Test
    void aHugeSingleWriteFollowedBySmallOnesIsRedactedThroughout() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2")));
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        String big = "y".repeat(3_000_000) + "hunter2" + "z".repeat(1_000_000) + "hun";
        write(sink, Stream.STDOUT, big);
        write(sink, Stream.STDOUT, "ter2");
        write(sink, Stream.STDOUT, " end");
        sink.finish();

        assertThat(capture.stdout()).isEqualTo("y".repeat(3_000_000) + "***PW***" + "z".repeat(1_000_000) + "***PW*** end");
    }

    @Test
    void halvesOfAValueOnDifferentStreamsAreNotJoined() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2")));
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        write(sink, Stream.STDOUT, "hunt");
        write(sink, Stream.STDERR, "er2");
        sink.finish();

        assertThat(capture.stdout()).isEqualTo("hunt");
        assertThat(capture.stderr()).isEqualTo("er2");
    }

    @Test
    void aValueSplitOnOneStreamIsRedactedWhileTheOtherStreamInterleaves() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2")));
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        write(sink, Stream.STDOUT, "out: hun");
        write(sink, Stream.STDERR, "err: hunter");
        write(sink, Stream.STDOUT, "ter2!");
        write(sink, Stream.STDERR, "2?");
        sink.finish();

        assertThat(capture.stdout()).isEqualTo("out: ***PW***!");
        assertThat(capture.stderr()).isEqualTo("err: ***PW***?");
    }

    @Test
    void finishFlushesBothStreamsThenFinishesDownstreamOnce() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2")));
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        write(sink, Stream.STDOUT, "a hunter2");
        write(sink, Stream.STDERR, "b hunte");
        sink.finish();
        sink.finish();

        assertThat(capture.stdout()).isEqualTo("a ***PW***");
        assertThat(capture.stderr()).isEqualTo("b hunte");
        assertThat(capture.finishes).isEqualTo(1);
    }

    @Test
    void writingAfterFinishIsRefused() {
        RedactingSink sink = new RedactingSink(Redactor.of(List.of(secret("PW", "hunter2"))), new Capture());
        sink.finish();

        assertThatThrownBy(() -> write(sink, Stream.STDOUT, "late"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("output written after finish");
    }

    @Test
    void aChunkOutsideTheBufferIsRejectedBeforeAnythingIsWritten() {
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(Redactor.of(List.of()), capture);

        assertThatThrownBy(() -> sink.write(Stream.STDOUT, new byte[3], 1, 5))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(capture.out.size()).isZero();
    }

    @Test
    void twoThreadsWritingDifferentStreamsAreEachRedacted() throws InterruptedException {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2")));
        Capture capture = new Capture();
        RedactingSink sink = new RedactingSink(redactor, capture);
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> pumps = new ArrayList<>();
        for (Stream stream : Stream.values()) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                byte[] line = "line hunter2\n".getBytes(UTF_8);
                for (int i = 0; i < 2000; i++) {
                    sink.write(stream, line, 0, 6);
                    sink.write(stream, line, 6, line.length - 6);
                }
            });
            t.start();
            pumps.add(t);
        }
        start.countDown();
        for (Thread t : pumps) {
            t.join();
        }
        sink.finish();

        assertThat(capture.stdout()).isEqualTo("line ***PW***\n".repeat(2000));
        assertThat(capture.stderr()).isEqualTo("line ***PW***\n".repeat(2000));
    }

    @Test
    void fiftyMegabytesWithScatteredSecretsStreamThrough() {
        Redactor redactor = Redactor.of(List.of(secret("PW", "hunter2-long-password"), secret("KEY", "AKIA0123456789")));
        AhoCorasick leakDetector = AhoCorasick.compile(List.of("hunter2-long-password".getBytes(UTF_8),
                "AKIA0123456789".getBytes(UTF_8), "***PW***".getBytes(UTF_8), "***KEY***".getBytes(UTF_8)));
        long[] counts = new long[4];
        AhoCorasick.Scanner downstreamScanner = leakDetector.newScanner();
        long[] total = new long[1];
        OutputSink counting = (stream, buf, off, len) -> {
            total[0] += len;
            downstreamScanner.feed(buf, off, len, (p, end) -> counts[p]++);
        };
        RedactingSink sink = new RedactingSink(redactor, counting);

        byte[] block = ("log line with nothing interesting in it, just text 0123456789\n".repeat(1000)
                + "password hunter2-long-password and key AKIA0123456789\n").getBytes(UTF_8);
        int blocks = 50 * 1024 * 1024 / block.length;
        // An odd chunk size so secrets fall across chunk boundaries at varying offsets.
        int chunk = 8191;
        byte[] buffer = new byte[chunk];
        long written = 0;
        int pos = 0;
        for (int b = 0; b < blocks; ) {
            int n = Math.min(chunk, block.length - pos);
            System.arraycopy(block, pos, buffer, 0, n);
            sink.write(Stream.STDOUT, buffer, 0, n);
            written += n;
            pos += n;
            if (pos == block.length) {
                pos = 0;
                b++;
            }
        }
        sink.finish();

        assertThat(written).isGreaterThanOrEqualTo(50L * 1024 * 1024 - block.length);
        assertThat(counts[0]).isZero();
        assertThat(counts[1]).isZero();
        assertThat(counts[2]).isEqualTo(blocks);
        assertThat(counts[3]).isEqualTo(blocks);
        long saved = ("hunter2-long-password".length() - "***PW***".length()
                + "AKIA0123456789".length() - "***KEY***".length());
        assertThat(total[0]).isEqualTo(written - saved * blocks);
    }

    /**
     * Random credentials, random interleavings of their forms with filler, random chunkings. Values
     * avoid '*' and are at least 3 bytes so no form can occur inside a marker like "***S0***", and
     * filler is non-printable so it can never be part of a form.
     */
    @Test
    void randomValuesAndRandomChunkingsLeakNoFormAndPreserveOtherBytes() {
        SecretEncoding[] encodings = SecretEncoding.values();
        for (int round = 0; round < 300; round++) {
            Random random = new Random(round);
            int count = 1 + random.nextInt(5);
            List<SecretValue> secrets = new ArrayList<>();
            List<List<byte[]>> formsBySecret = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                byte[] value = new byte[3 + random.nextInt(25)];
                for (int j = 0; j < value.length; j++) {
                    byte b;
                    do {
                        b = (byte) (0x20 + random.nextInt(0x5f));
                    } while (b == '*');
                    value[j] = b;
                }
                secrets.add(SecretValue.of("S" + i, "v1", value));
                List<byte[]> forms = new ArrayList<>();
                for (SecretEncoding e : encodings) {
                    forms.add(e.encode(value));
                }
                formsBySecret.add(forms);
            }
            Redactor redactor = Redactor.of(secrets);

            ByteArrayOutputStream input = new ByteArrayOutputStream();
            ByteArrayOutputStream filler = new ByteArrayOutputStream();
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            boolean separated = true;
            int segments = random.nextInt(12);
            for (int s = 0; s < segments; s++) {
                int fillerLength = random.nextInt(6);
                if (fillerLength == 0 && s > 0) {
                    separated = false;
                }
                for (int j = 0; j < fillerLength; j++) {
                    int b = random.nextBoolean() ? random.nextInt(0x20) : 0x80 + random.nextInt(0x80);
                    input.write(b);
                    filler.write(b);
                    expected.write(b);
                }
                byte[] form = formsBySecret.get(random.nextInt(count)).get(random.nextInt(encodings.length));
                input.writeBytes(form);
                expected.writeBytes(("***" + firstOwner(formsBySecret, form) + "***").getBytes(UTF_8));
            }
            byte[] in = input.toByteArray();

            Capture capture = new Capture();
            RedactingSink sink = new RedactingSink(redactor, capture);
            int off = 0;
            int maxChunk = random.nextBoolean() ? 2 : 3 * (redactor.holdBack() + 1);
            while (off < in.length) {
                int len = Math.min(in.length - off, random.nextInt(maxChunk + 1));
                sink.write(Stream.STDOUT, in, off, len);
                off += len;
            }
            sink.finish();
            byte[] out = capture.out.toByteArray();

            for (List<byte[]> forms : formsBySecret) {
                for (byte[] form : forms) {
                    assertThat(indexOf(out, form)).as("round %d: a form survived", round).isEqualTo(-1);
                }
            }
            assertThat(nonPrintable(out)).as("round %d: filler preserved", round).isEqualTo(filler.toByteArray());
            assertThat(out).as("round %d: streaming equals one-shot", round).isEqualTo(redactor.redact(in));
            if (separated) {
                assertThat(new String(out, UTF_8)).as("round %d: exact", round).isEqualTo(expected.toString(UTF_8));
            }
        }
    }

    /**
     * Values over a three-letter alphabet written back to back overlap constantly, which exercises
     * the tails of partly covered matches; still no form may survive and streaming must agree with
     * one-shot redaction for every chunking.
     */
    @Test
    void heavilyOverlappingValuesNeverSurviveAnyChunking() {
        for (int round = 0; round < 300; round++) {
            Random random = new Random(1000 + round);
            List<SecretValue> secrets = new ArrayList<>();
            List<byte[]> values = new ArrayList<>();
            for (int i = 0; i < 1 + random.nextInt(4); i++) {
                byte[] value = new byte[3 + random.nextInt(5)];
                for (int j = 0; j < value.length; j++) {
                    value[j] = (byte) ('a' + random.nextInt(3));
                }
                secrets.add(SecretValue.of("S" + i, "v1", value));
                values.add(value);
            }
            Redactor redactor = Redactor.of(secrets);
            byte[] in = new byte[random.nextInt(200)];
            for (int j = 0; j < in.length; j++) {
                in[j] = (byte) ('a' + random.nextInt(3));
            }

            Capture capture = new Capture();
            RedactingSink sink = new RedactingSink(redactor, capture);
            int off = 0;
            while (off < in.length) {
                int len = Math.min(in.length - off, 1 + random.nextInt(4));
                sink.write(Stream.STDERR, in, off, len);
                off += len;
            }
            sink.finish();
            byte[] out = capture.err.toByteArray();

            for (byte[] value : values) {
                for (SecretEncoding e : SecretEncoding.values()) {
                    assertThat(indexOf(out, e.encode(value))).as("round %d: a form survived", round).isEqualTo(-1);
                }
            }
            assertThat(out).as("round %d: streaming equals one-shot", round).isEqualTo(redactor.redact(in));
        }
    }

    private static String firstOwner(List<List<byte[]>> formsBySecret, byte[] form) {
        for (int i = 0; i < formsBySecret.size(); i++) {
            for (byte[] f : formsBySecret.get(i)) {
                if (Arrays.equals(f, form)) {
                    return "S" + i;
                }
            }
        }
        throw new AssertionError("form of no secret");
    }

    private static byte[] nonPrintable(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte b : data) {
            if (b < 0x20 || b > 0x7e) {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
