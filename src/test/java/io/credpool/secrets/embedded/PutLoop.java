package io.credpool.secrets.embedded;

import io.credpool.secrets.Label;
import io.credpool.secrets.VersionConflictException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A child process for the crash and multi-process tests: opens the store in a state directory
 * and puts versions of one secret, printing a line after each commit.
 *
 * <p>Arguments: stateDir name count mode, where count -1 means forever and mode is
 * {@code plain} (put as current, no compare-and-set) or {@code cas} (read current, put with it
 * as the expected current, retry on conflict). Output per committed put:
 * {@code ok <index> <expected-or-(none)> <new-version>}.
 */
public final class PutLoop {
    private PutLoop() {
    }

    /** The value of the index-th put: awkward bytes, of varied sizes up to the limit. */
    static byte[] value(String tag, int index) {
        String text = tag + "-" + index + "=line\nnext=line\u00e9";
        byte[] head = text.getBytes(StandardCharsets.UTF_8);
        int size = index % 4 == 3 ? 60_000 : head.length + index % 300;
        byte[] out = new byte[size];
        for (int i = 0; i < size; i++) {
            out[i] = (byte) (i * 31 + index);
        }
        System.arraycopy(head, 0, out, 0, head.length);
        return out;
    }

    public static void main(String[] args) {
        Path stateDir = Path.of(args[0]);
        String name = args[1];
        int count = Integer.parseInt(args[2]);
        boolean cas = args[3].equals("cas");
        String tag = args.length > 4 ? args[4] : "child";
        try (StoreFixture f = new StoreFixture(stateDir)) {
            System.out.println("ready");
            System.out.flush();
            for (int i = 0; count < 0 || i < count; ) {
                Optional<String> expected = cas
                        ? Optional.of(f.store.currentVersionId(name).orElse(""))
                        : Optional.empty();
                try {
                    String made = f.store.put(name, value(tag, i), Label.CURRENT, expected)
                            .versionId();
                    String seen = expected.filter(s -> !s.isEmpty()).orElse("(none)");
                    System.out.println("ok " + i + " " + seen + " " + made);
                    System.out.flush();
                    i++;
                } catch (VersionConflictException raced) {
                    // The other process won this round; read again and retry.
                }
            }
        }
    }
}
