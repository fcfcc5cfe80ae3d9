package io.credpool.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.issuer.AdminSecret;
import io.credpool.issuer.ManualIssuer;
import io.credpool.issuer.PostgresRoleIssuer;
import io.credpool.secrets.SecretValue;
import io.credpool.task.Orchestrator;
import io.credpool.task.Session;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskResult;
import io.credpool.testing.CollectingSink;
import io.credpool.testing.PostgresCluster;
import io.credpool.testing.RedisServer;
import io.credpool.testing.Sandboxing;
import io.credpool.testing.TestHome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * Full rotations of a real Redis ACL password and a real PostgreSQL login (alternating roles) while
 * tasks of task, session and pool scope authenticate against them from inside bubblewrap sandboxes
 * with redis-cli and psql, through the server's wiring (issuers from the config, pools, sessions).
 */
class RealServicesRotationTest {
    private static final String REDIS_CHECK = "test \"$(redis-cli -h 127.0.0.1 -p %d --user app --pass \"$REDIS_PW\" --no-auth-warning"
            + " ACL WHOAMI 2>&1)\" = app";
    private static final String PG_CHECK = "test \"$(psql \"$DATABASE_URL\" -tAc 'select n from app_data' 2>&1)\" = 42";

    @TempDir
    Path tmp;
    RedisServer redis;
    PostgresCluster pg;
    TestHome home;
    Orchestrator orchestrator;
    RotationService rotations;
    final String redisInitial = "redis-initial-password-0123456789";
    String pgInitialUri;
    final List<String> progress = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        Sandboxing.requireBubblewrap();
        io.credpool.testing.ExternalTools.require(Path.of("/usr/bin/redis-cli"), "apt-get install redis-tools");
        io.credpool.testing.ExternalTools.require(Path.of("/usr/bin/psql"), "apt-get install postgresql-client");
        redis = RedisServer.start();
        pg = PostgresCluster.start();
        try (Jedis admin = new Jedis(redis.host(), redis.port())) {
            admin.aclSetUser("app", "on", ">" + redisInitial, "~*", "+@all");
        }
        pg.execute("CREATE DATABASE app");
        pg.execute("CREATE ROLE app NOLOGIN");
        try (var c = pg.connect("app"); var st = c.createStatement()) {
            st.execute("CREATE TABLE app_data (n int)");
            st.execute("INSERT INTO app_data VALUES (42)");
            st.execute("GRANT SELECT ON app_data TO app");
        }
        // The first login comes from the issuer itself, as an operator would bootstrap it.
        PostgresRoleIssuer bootstrap = new PostgresRoleIssuer(new PostgresRoleIssuer.Settings("127.0.0.1", pg.port(), "app", "app",
                pg.superuser(), AdminSecret.fromFile(pg.superuserPasswordFile(), "admin password", "test"), Duration.ofSeconds(5)));
        try (SecretValue first = bootstrap.create("pg-url", "bootstrap", SecretValue.of("pg-url", "p", "pg-initial-pw-abcdef".getBytes()),
                Optional.empty())) {
            pgInitialUri = first.asEnvironmentValue();
        }
        String config = """
                credentials:
                  redis-pw:
                    issuer: {kind: redis-acl, address: '127.0.0.1:%d', user: app}
                    rotation: {every: 30d, verify_with: redis-task, verify_command: '%s', grace: 1s, on_grace_expiry: rekey}
                  pg-url:
                    issuer: {kind: postgres-role, address: '127.0.0.1:%d', database: app, role: app, admin_user: %s, admin_password_file: '%s'}
                    rotation: {every: 30d, verify_with: pg-task, verify_command: '%s', grace: 1s, on_grace_expiry: rekey}
                defaults: {network: true}
                task_types:
                  redis-pool:
                    pool: {size: 2, max_age: 10m}
                    credentials: [{name: redis-pw, env: REDIS_PW, scope: pool}]
                  redis-task:
                    credentials: [{name: redis-pw, env: REDIS_PW, scope: task}]
                  redis-session:
                    credentials: [{name: redis-pw, env: REDIS_PW, scope: session}]
                  pg-pool:
                    pool: {size: 2, max_age: 10m}
                    credentials: [{name: pg-url, env: DATABASE_URL, scope: pool}]
                  pg-task:
                    credentials: [{name: pg-url, env: DATABASE_URL, scope: task}]
                  pg-session:
                    credentials: [{name: pg-url, env: DATABASE_URL, scope: session}]
                """.formatted(redis.port(), yamlQuoted(REDIS_CHECK.formatted(redis.port())), pg.port(), pg.superuser(),
                pg.superuserPasswordFile(), yamlQuoted(PG_CHECK));
        home = new TestHome(tmp, config);
        home.put("redis-pw", redisInitial);
        home.put("pg-url", pgInitialUri);
        orchestrator = home.credpool().serverOrchestrator(null, new SimpleMeterRegistry());
        rotations = home.credpool().rotations(orchestrator, true, ManualIssuer.Confirmation.NOBODY);
    }

    private static String yamlQuoted(String s) {
        return s.replace("'", "''");
    }

    @AfterEach
    void tearDown() {
        if (rotations != null) {
            rotations.close();
        }
        if (orchestrator != null) {
            orchestrator.close();
        }
        if (home != null) {
            home.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    private boolean authenticates(String type, Optional<String> session) {
        String check = type.startsWith("redis") ? REDIS_CHECK.formatted(redis.port()) : PG_CHECK;
        TaskRequest req = TaskRequest.of(type, List.of("sh", "-c", check));
        TaskResult r = orchestrator.run(session.map(req::inSession).orElse(req), new CollectingSink());
        return r.exitCode() == 0;
    }

    @Test
    void fullRotationsOfRedisAndPostgresUnderLoadHaveZeroAuthFailuresAndTheOldPasswordsStopWorking() throws Exception {
        Session redisSession = orchestrator.openSession("redis-session");
        Session pgSession = orchestrator.openSession("pg-session");
        Map<String, AtomicInteger> ok = new ConcurrentHashMap<>();
        List<String> failures = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService load = Executors.newFixedThreadPool(3);
        List<List<Object[]>> loops = List.of(
                List.of(new Object[] {"redis-pool", Optional.empty()}, new Object[] {"pg-pool", Optional.empty()}),
                List.of(new Object[] {"redis-task", Optional.empty()}, new Object[] {"pg-task", Optional.empty()}),
                List.of(new Object[] {"redis-session", Optional.of(redisSession.id())}, new Object[] {"pg-session", Optional.of(pgSession.id())}));
        List<Future<?>> running = new java.util.ArrayList<>();
        for (List<Object[]> loop : loops) {
            running.add(load.submit(() -> {
                while (!stop.get()) {
                    for (Object[] t : loop) {
                        @SuppressWarnings("unchecked")
                        Optional<String> s = (Optional<String>) t[1];
                        String type = (String) t[0];
                        if (authenticates(type, s)) {
                            ok.computeIfAbsent(type, k -> new AtomicInteger()).incrementAndGet();
                        } else {
                            failures.add(type);
                        }
                    }
                }
                return null;
            }));
        }
        Rotation redisRotation;
        Rotation pgRotation;
        try {
            Thread.sleep(300);
            redisRotation = rotations.rotate("redis-pw", Optional.empty(), (id, line) -> progress.add(line));
            pgRotation = rotations.rotate("pg-url", Optional.empty(), (id, line) -> progress.add(line));
            Map<String, Integer> before = snapshot(ok);
            // Every kind of task authenticates again after both rotations, with the new values.
            while (ok.entrySet().stream().anyMatch(e -> e.getValue().get() < before.get(e.getKey()) + 2)) {
                Thread.sleep(20);
            }
        } finally {
            stop.set(true);
            for (Future<?> f : running) {
                f.get();
            }
            load.shutdown();
        }
        assertThat(redisRotation.status()).as(String.join("\n", progress)).isEqualTo(RotationStatus.DONE);
        assertThat(pgRotation.status()).as(String.join("\n", progress)).isEqualTo(RotationStatus.DONE);
        assertThat(failures).as("authentication failures under load; successes " + ok).isEmpty();
        assertThat(ok.keySet()).hasSize(6);
        System.out.println("real services rotation: successful tasks " + ok + ", auth failures " + failures.size());

        // The old Redis password and the old PostgreSQL login really stop working; the new ones work.
        try (Jedis j = new Jedis(redis.host(), redis.port())) {
            assertThatThrownBy(() -> j.auth("app", redisInitial)).hasMessageContaining("WRONGPASS");
            assertThat(j.auth("app", orchestrator.secrets().current("redis-pw").asEnvironmentValue())).isEqualTo("OK");
        }
        String jdbcOld = toJdbc(pgInitialUri);
        assertThatThrownBy(() -> DriverManager.getConnection(jdbcOld).close()).hasMessageContaining("app_a");
        try (var c = DriverManager.getConnection(toJdbc(orchestrator.secrets().current("pg-url").asEnvironmentValue()))) {
            assertThat(c.isValid(2)).isTrue();
        }
        assertThat(redisRotation.confirmation().orElseThrow()).startsWith("confirmed:");
        assertThat(pgRotation.confirmation().orElseThrow()).startsWith("confirmed:");
    }

    private static Map<String, Integer> snapshot(Map<String, AtomicInteger> ok) {
        Map<String, Integer> m = new ConcurrentHashMap<>();
        ok.forEach((k, v) -> m.put(k, v.get()));
        return m;
    }

    /** postgresql://role:pw@host:port/db -> a JDBC URL with user and password parameters. */
    private static String toJdbc(String uri) {
        java.net.URI u = java.net.URI.create(uri);
        String[] userInfo = u.getRawUserInfo().split(":", 2);
        return "jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + u.getPath() + "?user=" + userInfo[0] + "&password="
                + userInfo[1];
    }
}
