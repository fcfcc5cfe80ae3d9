package io.credpool.issuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.secrets.SecretValue;
import io.credpool.testing.ExternalTools;
import io.credpool.testing.LogCapture;
import io.credpool.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

class RedisAclIssuerTest {
    private static final String OLD = "old-password-0123456789abcdef";
    private static final String NEW = "new-password-fedcba9876543210";
    private static final AtomicInteger USERS = new AtomicInteger();
    private static RedisServer redis;

    private final List<String> messages = new ArrayList<>();
    private LogCapture logs;
    private String user;
    private RedisAclIssuer issuer;

    @BeforeAll
    static void startRedis() {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void createUser() {
        logs = new LogCapture();
        user = "app" + USERS.incrementAndGet();
        try (Jedis admin = new Jedis(redis.host(), redis.port())) {
            admin.aclSetUser(user, "on", ">" + OLD, "~*", "+@all");
        }
        issuer = issuer(redis.port(), "default", AdminSecret.none(), Duration.ofSeconds(5));
    }

    @AfterEach
    void noValueWasEverShown() {
        logs.close();
        String all = String.join("\n", messages) + "\n" + logs.text();
        assertThat(all).doesNotContain(OLD).doesNotContain(NEW);
    }

    @Test
    void createMakesASecondPasswordValidWhileTheOldOneStillWorks() {
        SecretValue created = issuer.create("redis-app", "rot-1", value(NEW), Optional.of(value(OLD)));

        assertThat(created.sameValueAs(value(NEW))).isTrue();
        assertThat(created.name()).isEqualTo("redis-app");
        assertThat(created.version()).isEqualTo("rot-1");
        assertThat(canLogIn(NEW)).isTrue();
        assertThat(canLogIn(OLD)).isTrue();
    }

    @Test
    void creatingTwiceForTheSameRotationAddsOnePassword() {
        issuer.create("redis-app", "rot-1", value(NEW), Optional.of(value(OLD)));
        issuer.create("redis-app", "rot-1", value(NEW), Optional.of(value(OLD)));

        try (Jedis admin = new Jedis(redis.host(), redis.port())) {
            assertThat(admin.aclGetUser(user).getPassword()).hasSize(2);
        }
    }

    @Test
    void verifyPassesForAGoodPasswordAndIsRejectedForABadOne() {
        issuer.create("redis-app", "rot-1", value(NEW), Optional.empty());

        assertThatCode(() -> issuer.verify("redis-app", value(NEW))).doesNotThrowAnyException();
        assertThatThrownBy(() -> issuer.verify("redis-app", value("not-the-password")))
                .isInstanceOfSatisfying(IssuerException.class, e -> {
                    messages.add(e.getMessage());
                    assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
                    assertThat(e.getMessage()).isEqualTo("credential 'redis-app': Redis at " + redis.address()
                            + " rejected the password for user '" + user + "' (wrong password, revoked, or user disabled)");
                });
    }

    @Test
    void revokeMakesTheOldPasswordFailAndRevokingAgainSucceeds() {
        issuer.create("redis-app", "rot-1", value(NEW), Optional.of(value(OLD)));

        issuer.revoke("redis-app", value(OLD));
        issuer.revoke("redis-app", value(OLD));

        assertThat(canLogIn(OLD)).isFalse();
        assertThat(canLogIn(NEW)).isTrue();
        assertThatThrownBy(() -> issuer.verify("redis-app", value(OLD))).isInstanceOf(IssuerException.class);
    }

    @Test
    void revokingAPasswordTheUserNeverHadChangesNothing() {
        issuer.revoke("redis-app", value("never-issued"));

        assertThat(canLogIn(OLD)).isTrue();
    }

    @Test
    void aServerThatIsDownIsUnavailableAndTheMessageNamesTheCredential() {
        int port = ExternalTools.freePort();
        RedisAclIssuer down = issuer(port, "default", AdminSecret.none(), Duration.ofSeconds(2));

        for (Runnable call : List.<Runnable>of(
                () -> down.create("redis-app", "rot-1", value(NEW), Optional.empty()),
                () -> down.verify("redis-app", value(NEW)),
                () -> down.revoke("redis-app", value(OLD)))) {
            assertThatThrownBy(call::run).isInstanceOfSatisfying(IssuerException.class, e -> {
                messages.add(e.getMessage());
                assertThat(e.kind()).isEqualTo(IssuerException.Kind.UNAVAILABLE);
                assertThat(e.getMessage()).startsWith("credential 'redis-app': Redis at 127.0.0.1:" + port + " did not answer while ")
                        .endsWith("; check that it runs and is reachable, then retry");
            });
        }
    }

    @Test
    void aHungServerIsUnavailableAfterTheTimeout() {
        RedisAclIssuer quick = issuer(redis.port(), "default", AdminSecret.none(), Duration.ofMillis(300));
        redis.freeze();
        try {
            assertThatThrownBy(() -> quick.create("redis-app", "rot-1", value(NEW), Optional.empty()))
                    .isInstanceOfSatisfying(IssuerException.class, e -> {
                        messages.add(e.getMessage());
                        assertThat(e.kind()).isEqualTo(IssuerException.Kind.UNAVAILABLE);
                    });
        } finally {
            redis.thaw();
        }
        assertThat(canLogIn(NEW)).isFalse();
    }

    @Test
    void anAdminWithoutAclPermissionIsRejected() {
        try (Jedis admin = new Jedis(redis.host(), redis.port())) {
            admin.aclSetUser("weak-" + user, "on", ">weak-admin-pw", "~*", "+@all", "-acl");
        }
        RedisAclIssuer weak = issuer(redis.port(), "weak-" + user, fixed("weak-admin-pw"), Duration.ofSeconds(5));

        assertThatThrownBy(() -> weak.create("redis-app", "rot-1", value(NEW), Optional.empty()))
                .isInstanceOfSatisfying(IssuerException.class, e -> {
                    messages.add(e.getMessage());
                    assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
                    assertThat(e.getMessage()).isEqualTo("credential 'redis-app': Redis admin user 'weak-" + user + "' at "
                            + redis.address() + " may not run ACL GETUSER/SETUSER; grant it +acl");
                });
    }

    @Test
    void aWrongAdminPasswordIsRejected() {
        try (Jedis admin = new Jedis(redis.host(), redis.port())) {
            admin.aclSetUser("admin-" + user, "on", ">right-admin-pw", "~*", "+@all");
        }
        RedisAclIssuer wrong = issuer(redis.port(), "admin-" + user, fixed("wrong-admin-pw"), Duration.ofSeconds(5));

        assertThatThrownBy(() -> wrong.revoke("redis-app", value(OLD)))
                .isInstanceOfSatisfying(IssuerException.class, e -> {
                    messages.add(e.getMessage());
                    assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
                    assertThat(e.getMessage()).startsWith("credential 'redis-app': Redis at " + redis.address()
                            + " refused the admin user 'admin-" + user + "' (wrong password or disabled user)");
                });
        assertThat(canLogIn(OLD)).isTrue();
    }

    @Test
    void aUserThatDoesNotExistIsRejectedInsteadOfCreatedWithoutPermissions() {
        RedisAclIssuer missing = new RedisAclIssuer(new RedisAclIssuer.Settings(new HostAndPort(redis.host(), redis.port()),
                "nobody-" + user, "default", AdminSecret.none(), Duration.ofSeconds(5)));

        assertThatThrownBy(() -> missing.create("redis-app", "rot-1", value(NEW), Optional.empty()))
                .isInstanceOfSatisfying(IssuerException.class, e -> {
                    messages.add(e.getMessage());
                    assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
                    assertThat(e.getMessage()).isEqualTo("credential 'redis-app': Redis at " + redis.address()
                            + " has no ACL user 'nobody-" + user + "'; create it with the permissions tasks need"
                            + " (ACL SETUSER nobody-" + user + " ...), then rotate again");
                });
        try (Jedis admin = new Jedis(redis.host(), redis.port())) {
            assertThat(admin.aclGetUser("nobody-" + user)).isNull();
        }
    }

    @Test
    void theAdminConnectionNeverCarriesThePasswordItself() {
        try (Jedis admin = new Jedis(redis.host(), redis.port())) {
            admin.configSet("slowlog-log-slower-than", "0");
            admin.slowlogReset();
            issuer.create("redis-app", "rot-1", value(NEW), Optional.empty());
            issuer.revoke("redis-app", value(NEW));
            String slowlog = String.valueOf(admin.slowlogGet(128));
            admin.configSet("slowlog-log-slower-than", "10000");
            messages.add(slowlog);
        }
    }

    private RedisAclIssuer issuer(int port, String adminUser, AdminSecret adminPassword, Duration timeout) {
        return new RedisAclIssuer(new RedisAclIssuer.Settings(new HostAndPort(redis.host(), port), user, adminUser, adminPassword,
                timeout));
    }

    private boolean canLogIn(String password) {
        try (Jedis j = new Jedis(new HostAndPort(redis.host(), redis.port()),
                DefaultJedisClientConfig.builder().user(user).password(password).build())) {
            return "PONG".equals(j.ping());
        } catch (redis.clients.jedis.exceptions.JedisException e) {
            return false;
        }
    }

    static SecretValue value(String s) {
        return SecretValue.of("redis-app", "v", s.getBytes(StandardCharsets.UTF_8));
    }

    static AdminSecret fixed(String secret) {
        try {
            java.nio.file.Path f = java.nio.file.Files.createTempFile("credpool-admin", ".txt");
            java.nio.file.Files.writeString(f, secret);
            f.toFile().deleteOnExit();
            return AdminSecret.fromFile(f, "admin password", "test");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
