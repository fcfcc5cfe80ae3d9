package io.credpool.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CachingSecretsProviderTest {
    /** A remote manager stand-in that counts reads; its current version changes only when told. */
    static final class CountingProvider implements SecretsProvider {
        final AtomicInteger reads = new AtomicInteger();
        volatile String currentVersion = "1";
        volatile CountDownLatch gate = new CountDownLatch(0);

        @Override
        public String kind() {
            return "counting";
        }

        @Override
        public SecretValue current(String name) {
            reads.incrementAndGet();
            try {
                gate.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return version(name, currentVersion);
        }

        @Override
        public SecretValue version(String name, String versionId) {
            return SecretValue.of(name, versionId, ("value-" + versionId).getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public Optional<String> currentVersionId(String name) {
            return Optional.of(currentVersion);
        }

        @Override
        public List<SecretVersion> versions(String name) {
            return List.of();
        }

        @Override
        public List<SecretVersion> list() {
            return List.of();
        }

        @Override
        public SecretVersion put(String name, byte[] value, Label label, Optional<String> expectedCurrent) {
            currentVersion = "2";
            return new SecretVersion(name, "2", Set.of(label), Instant.EPOCH);
        }

        @Override
        public SecretVersion promote(String name, String versionId, Optional<String> expectedCurrent) {
            currentVersion = versionId;
            return new SecretVersion(name, versionId, Set.of(Label.CURRENT), Instant.EPOCH);
        }

        @Override
        public void close() {
        }
    }

    final CountingProvider remote = new CountingProvider();
    final AtomicLong now = new AtomicLong();
    final CachingSecretsProvider cache = new CachingSecretsProvider(remote, Duration.ofSeconds(30), now::get);

    @Test
    void manySimultaneousTaskStartsMakeOneRequest() throws Exception {
        remote.gate = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<SecretValue>> starts = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                starts.add(pool.submit(() -> cache.current("db")));
            }
            Thread.sleep(100);
            remote.gate.countDown();
            for (Future<SecretValue> f : starts) {
                SecretValue v = f.get(5, TimeUnit.SECONDS);
                assertThat(v.version()).isEqualTo("1");
                // Each caller gets its own copy: one task wiping its value leaves the others intact.
                v.wipe();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(remote.reads).hasValue(1);
        assertThat(new String(cache.current("db").bytes(), StandardCharsets.UTF_8)).isEqualTo("value-1");
    }

    @Test
    void aPutThroughCredpoolIsSeenAtOnce() {
        assertThat(cache.current("db").version()).isEqualTo("1");
        cache.put("db", "x".getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty());
        assertThat(cache.current("db").version()).isEqualTo("2");
        assertThat(cache.currentVersionId("db")).contains("2");
    }

    @Test
    void aPromoteThroughCredpoolIsSeenAtOnce() {
        assertThat(cache.current("db").version()).isEqualTo("1");
        cache.promote("db", "7", Optional.empty());
        assertThat(cache.current("db").version()).isEqualTo("7");
    }

    @Test
    void aChangeOutsideCredpoolIsSeenWithinTheTtl() {
        assertThat(cache.current("db").version()).isEqualTo("1");
        remote.currentVersion = "3";
        now.addAndGet(Duration.ofSeconds(29).toNanos());
        assertThat(cache.current("db").version()).as("still inside the staleness bound").isEqualTo("1");
        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(cache.current("db").version()).isEqualTo("3");
        assertThat(remote.reads).hasValue(2);
    }

    @Test
    void aCurrentReadAlsoServesThatVersion() {
        cache.current("db");
        assertThat(cache.version("db", "1").version()).isEqualTo("1");
    }

    @Test
    void closeWipesWhatIsCached() {
        SecretValue v = cache.current("db");
        cache.close();
        assertThat(v.isWiped()).as("the caller's copy is the caller's").isFalse();
        assertThat(cache.current("db").version()).isEqualTo("1");
        assertThat(remote.reads).hasValue(2);
    }
}
