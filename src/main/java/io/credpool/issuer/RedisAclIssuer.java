package io.credpool.issuer;

import io.credpool.secrets.SecretValue;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.resps.AccessControlUser;

/**
 * Issues passwords of one Redis ACL user: a user may hold several passwords at once, so the new
 * one is added next to the old (the overlap window) and the old one is removed after drain.
 *
 * <p>The credential's value is the password alone (tasks combine it with the user name they are
 * configured with). Passwords travel to the admin connection only as their SHA-256 ({@code #hash}
 * to add, {@code !hash} to remove), as Redis stores them, so neither MONITOR nor a slow log on the
 * server ever sees one; only {@link #verify} sends the password itself, in AUTH.
 */
public final class RedisAclIssuer implements CredentialIssuer {
    /**
     * Where the user lives and how to administer it.
     *
     * @param address host:port, for messages and connections
     * @param user the ACL user whose passwords rotate; it must exist with the permissions tasks need
     * @param adminUser a user allowed to run ACL GETUSER and ACL SETUSER
     */
    public record Settings(HostAndPort address, String user, String adminUser, AdminSecret adminPassword, Duration timeout) {
    }

    private final Settings settings;

    public RedisAclIssuer(Settings settings) {
        this.settings = settings;
    }

    @Override
    public String kind() {
        return "redis-acl";
    }

    /** Adds {@code proposed} as a further password of the user; adding the same one again changes nothing. */
    @Override
    public SecretValue create(String credential, String rotationId, SecretValue proposed, Optional<SecretValue> current) {
        String hash = sha256(proposed);
        try (Jedis admin = admin(credential)) {
            requireUser(credential, admin);
            admin.sendCommand(Protocol.Command.ACL, "SETUSER", settings.user(), "on", "#" + hash);
        } catch (JedisException e) {
            throw failure(credential, "adding a password to user '" + settings.user() + "'", e, true);
        }
        byte[] bytes = proposed.bytes();
        try {
            return SecretValue.of(credential, rotationId, bytes);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** Opens a fresh connection, AUTHs as the user with {@code value} and PINGs. */
    @Override
    public void verify(String credential, SecretValue value) {
        byte[] password = value.bytes();
        try (Jedis jedis = new Jedis(settings.address(), config().build())) {
            jedis.sendCommand(Protocol.Command.AUTH, settings.user().getBytes(StandardCharsets.UTF_8), password);
            jedis.ping();
        } catch (JedisException e) {
            throw failure(credential, "authenticating as user '" + settings.user() + "' with the new password", e, false);
        } finally {
            Arrays.fill(password, (byte) 0);
        }
    }

    /**
     * Removes {@code value} from the user's passwords, if it is still one of them. Connections
     * already authenticated with it stay open (Redis cannot close only those): rotation revokes
     * after drain, when no task holds the old value.
     */
    @Override
    public void revoke(String credential, SecretValue value) {
        String hash = sha256(value);
        try (Jedis admin = admin(credential)) {
            AccessControlUser user = admin.aclGetUser(settings.user());
            if (user == null || !user.getPassword().contains(hash)) {
                return;
            }
            try {
                admin.sendCommand(Protocol.Command.ACL, "SETUSER", settings.user(), "!" + hash);
            } catch (JedisDataException e) {
                // A concurrent revoke may have removed it between GETUSER and SETUSER: that is success.
                AccessControlUser again = admin.aclGetUser(settings.user());
                if (again != null && again.getPassword().contains(hash)) {
                    throw e;
                }
            }
        } catch (JedisException e) {
            throw failure(credential, "removing a password of user '" + settings.user() + "'", e, true);
        }
    }

    private void requireUser(String credential, Jedis admin) {
        if (admin.aclGetUser(settings.user()) == null) {
            throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': Redis at " + settings.address()
                    + " has no ACL user '" + settings.user() + "'; create it with the permissions tasks need"
                    + " (ACL SETUSER " + settings.user() + " ...), then rotate again", null);
        }
    }

    private Jedis admin(String credential) {
        DefaultJedisClientConfig.Builder config = config();
        Optional<String> password = settings.adminPassword().read(credential);
        if (password.isPresent()) {
            config.user(settings.adminUser()).password(password.get());
        }
        return new Jedis(settings.address(), config.build());
    }

    private DefaultJedisClientConfig.Builder config() {
        int millis = (int) Math.min(Integer.MAX_VALUE, settings.timeout().toMillis());
        return DefaultJedisClientConfig.builder().connectionTimeoutMillis(millis).socketTimeoutMillis(millis)
                .clientSetInfoConfig(ClientSetInfoConfig.DISABLED).clientName("credpool-issuer");
    }

    /** Maps a Jedis failure to an error naming the credential; Redis's error texts carry no password. */
    private IssuerException failure(String credential, String action, JedisException e, boolean asAdmin) {
        String prefix = "credential '" + credential + "': ";
        if (e instanceof JedisConnectionException) {
            return new IssuerException(IssuerException.Kind.UNAVAILABLE, prefix + "Redis at " + settings.address()
                    + " did not answer while " + action + " (" + rootMessage(e) + "); check that it runs and is reachable,"
                    + " then retry", e);
        }
        String message = String.valueOf(e.getMessage());
        String code = message.split(" ", 2)[0].toUpperCase(Locale.ROOT);
        if (asAdmin && (code.equals("WRONGPASS") || code.equals("NOAUTH"))) {
            return new IssuerException(IssuerException.Kind.REJECTED, prefix + "Redis at " + settings.address()
                    + " refused the admin user '" + settings.adminUser() + "' (wrong password or disabled user); check"
                    + " the issuer's admin_user and admin password " + settings.adminPassword().toString(), e);
        }
        if (asAdmin && code.equals("NOPERM")) {
            return new IssuerException(IssuerException.Kind.REJECTED, prefix + "Redis admin user '" + settings.adminUser()
                    + "' at " + settings.address() + " may not run ACL GETUSER/SETUSER; grant it +acl", e);
        }
        if (!asAdmin && (code.equals("WRONGPASS") || code.equals("NOAUTH"))) {
            return new IssuerException(IssuerException.Kind.REJECTED, prefix + "Redis at " + settings.address()
                    + " rejected the password for user '" + settings.user() + "' (wrong password, revoked, or user disabled)", e);
        }
        return new IssuerException(IssuerException.Kind.REJECTED, prefix + "Redis at " + settings.address() + " refused "
                + action + ": " + message, e);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** The hex SHA-256 of the password bytes: the form in which Redis stores and compares passwords. */
    static String sha256(SecretValue value) {
        byte[] b = value.bytes();
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }
}
