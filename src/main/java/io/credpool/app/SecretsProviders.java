package io.credpool.app;

import io.credpool.config.ConfigException;
import io.credpool.config.CredpoolConfig;
import io.credpool.config.ProviderConfig;
import io.credpool.secrets.CachingSecretsProvider;
import io.credpool.secrets.RetryPolicy;
import io.credpool.secrets.SecretsProvider;
import io.credpool.secrets.SecretsRouter;
import io.credpool.secrets.aws.AwsSecretsManagerProvider;
import io.credpool.secrets.github.GitHubActionsSecretsProvider;
import io.credpool.secrets.vault.VaultAuth;
import io.credpool.secrets.vault.VaultKv2Provider;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Opens the secrets providers a config names and routes each credential to its own; the rest go
 * to the embedded store. A provider's own credentials are read here, from the environment or a
 * file, never from the config; a missing one is a config error at the provider's line.
 */
public final class SecretsProviders {
    private final Function<String, String> environment;

    public SecretsProviders(Function<String, String> environment) {
        this.environment = environment;
    }

    /** Opens every provider that some credential is routed to; closes them again if one fails. */
    public SecretsRouter open(CredpoolConfig config, SecretsProvider embedded) {
        Map<String, SecretsProvider> opened = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        try {
            Map<String, SecretsRouter.Route> routes = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : config.credentialProviders().entrySet()) {
                ProviderConfig pc = config.providers().get(e.getValue());
                SecretsProvider p = opened.get(pc.name());
                if (p == null && !problems.isEmpty()) {
                    continue;
                }
                if (p == null) {
                    try {
                        p = open(pc);
                    } catch (ConfigException ce) {
                        problems.addAll(ce.problems());
                        continue;
                    }
                    opened.put(pc.name(), p);
                }
                routes.put(e.getKey(), new SecretsRouter.Route(pc.name(), p));
            }
            if (!problems.isEmpty()) {
                throw new ConfigException(problems);
            }
            return new SecretsRouter(embedded, routes, List.copyOf(opened.values()));
        } catch (RuntimeException e) {
            opened.values().forEach(SecretsProvider::close);
            throw e;
        }
    }

    /** One provider, wrapped in the cache its config asks for. */
    SecretsProvider open(ProviderConfig pc) {
        RetryPolicy retry = new RetryPolicy(pc.maxAttempts(), pc.retryBaseDelay(),
                pc.retryBaseDelay().multipliedBy(32).compareTo(Duration.ofSeconds(5)) > 0 ? pc.retryBaseDelay().multipliedBy(32)
                        : Duration.ofSeconds(5));
        SecretsProvider p = switch (pc.kind()) {
            case EMBEDDED -> throw new IllegalStateException("the embedded store is not opened from a provider section");
            case VAULT -> VaultKv2Provider.create(new VaultKv2Provider.Settings(pc.name(), URI.create(pc.setting("address", "")),
                    pc.setting("namespace"), pc.setting("mount", "secret"), pc.setting("path_prefix", ""), pc.setting("field", "value"),
                    retry, pc.timeout()), vaultAuth(pc));
            case AWS -> AwsSecretsManagerProvider.create(new AwsSecretsManagerProvider.Settings(pc.name(), pc.setting("region", ""),
                    pc.setting("endpoint").map(URI::create), pc.setting("name_prefix", ""), retry, pc.timeout()));
            case GITHUB -> GitHubActionsSecretsProvider.create(new GitHubActionsSecretsProvider.Settings(pc.name(),
                    URI.create(pc.setting("api_url", "https://api.github.com")), githubTarget(pc), pc.env(), retry, pc.timeout()),
                    secret(pc, "token_env", "GITHUB_TOKEN", "token_file", false).orElse(null));
        };
        return pc.cacheTtl().isZero() ? p : new CachingSecretsProvider(p, pc.cacheTtl());
    }

    private VaultAuth vaultAuth(ProviderConfig pc) {
        if ("approle".equals(pc.setting("auth", "token"))) {
            String roleId = pc.setting("role_id").orElseGet(() -> secret(pc, "role_id_env", null, null, true).orElseThrow());
            return new VaultAuth.AppRole(pc.setting("approle_mount", "approle"), roleId,
                    secret(pc, "secret_id_env", "VAULT_SECRET_ID", "secret_id_file", true).orElseThrow());
        }
        return new VaultAuth.Token(secret(pc, "token_env", "VAULT_TOKEN", "token_file", true).orElseThrow());
    }

    private static GitHubActionsSecretsProvider.Target githubTarget(ProviderConfig pc) {
        if (pc.setting("org").isPresent()) {
            return new GitHubActionsSecretsProvider.Target.Organization(pc.setting("org", ""), pc.setting("visibility", "private"));
        }
        if (pc.setting("environment").isPresent()) {
            return new GitHubActionsSecretsProvider.Target.Environment(pc.setting("owner", ""), pc.setting("repo", ""),
                    pc.setting("environment", ""));
        }
        return new GitHubActionsSecretsProvider.Target.Repository(pc.setting("owner", ""), pc.setting("repo", ""));
    }

    /** A provider's own secret: the file if one is configured, else the environment variable. */
    private Optional<String> secret(ProviderConfig pc, String envKey, String defaultEnv, String fileKey, boolean required) {
        Optional<String> file = fileKey == null ? Optional.empty() : pc.setting(fileKey);
        if (file.isPresent()) {
            try {
                return Optional.of(Files.readString(Path.of(file.get()), StandardCharsets.UTF_8).strip());
            } catch (IOException e) {
                throw new ConfigException(List.of(pc.where() + ": providers." + pc.name() + "." + fileKey + ": cannot read "
                        + file.get() + " (" + e.getClass().getSimpleName() + ")"));
            }
        }
        String var = pc.setting(envKey, defaultEnv);
        String v = var == null ? null : environment.apply(var);
        if ((v == null || v.isBlank()) && required) {
            throw new ConfigException(List.of(pc.where() + ": providers." + pc.name() + ": environment variable " + var
                    + " is not set; export it for credpool" + (fileKey == null ? "" : ", or set " + fileKey + " to a file holding it")));
        }
        return Optional.ofNullable(v == null || v.isBlank() ? null : v);
    }
}
