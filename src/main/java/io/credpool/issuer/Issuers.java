package io.credpool.issuer;

import io.credpool.config.CredentialSettings;
import io.credpool.config.CredpoolConfig;
import io.credpool.config.IssuerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import redis.clients.jedis.HostAndPort;

/**
 * Builds the issuer a credential's config names ({@code credentials.NAME.issuer}). Admin secrets
 * are only located here; each issuer reads them at each use.
 */
public final class Issuers {
    private final Function<String, String> environment;
    private final ManualIssuer.Confirmation confirmation;

    /**
     * @param environment where *_env settings are looked up (System::getenv in production)
     * @param confirmation how a manual issuer asks the operator to confirm a revocation
     */
    public Issuers(Function<String, String> environment, ManualIssuer.Confirmation confirmation) {
        this.environment = environment;
        this.confirmation = confirmation;
    }

    /** The credential's issuer, or empty if the config gives it none (or does not know it). */
    public Optional<CredentialIssuer> open(CredpoolConfig config, String credential) {
        return config.credential(credential).flatMap(CredentialSettings::issuer).map(c -> open(credential, c));
    }

    /** Builds the issuer {@code config} describes, for {@code credential}. */
    public CredentialIssuer open(String credential, IssuerConfig config) {
        String where = config.where().toString();
        return switch (config.kind()) {
            case REDIS_ACL -> new RedisAclIssuer(new RedisAclIssuer.Settings(HostAndPort.from(config.required("address")),
                    config.required("user"), config.setting("admin_user").orElse("default"),
                    secret(config, "admin_password", "admin password", where), config.timeout()));
            case POSTGRES_ROLE -> {
                String address = config.required("address");
                int colon = address.lastIndexOf(':');
                yield new PostgresRoleIssuer(new PostgresRoleIssuer.Settings(address.substring(0, colon),
                        Integer.parseInt(address.substring(colon + 1)), config.required("database"), config.required("role"),
                        config.required("admin_user"), secret(config, "admin_password", "admin password", where), config.timeout()));
            }
            case HTTP_API_KEY -> new HttpApiKeyIssuer(new HttpApiKeyIssuer.Settings(URI.create(config.required("url")),
                    secret(config, "admin_token", "admin token", where), config.timeout()));
            case MANUAL -> new ManualIssuer(confirmation);
        };
    }

    private AdminSecret secret(IssuerConfig config, String key, String what, String where) {
        Optional<String> env = config.setting(key + "_env");
        if (env.isPresent()) {
            return AdminSecret.fromEnvironment(env.get(), environment, what, where);
        }
        Optional<String> file = config.setting(key + "_file");
        return file.map(f -> AdminSecret.fromFile(Path.of(f), what, where)).orElseGet(AdminSecret::none);
    }
}
