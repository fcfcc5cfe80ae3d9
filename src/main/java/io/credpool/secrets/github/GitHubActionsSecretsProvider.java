package io.credpool.secrets.github;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.credpool.secrets.Label;
import io.credpool.secrets.ProviderUnavailableException;
import io.credpool.secrets.RetryPolicy;
import io.credpool.secrets.SecretNotFoundException;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.SecretsProvider;
import io.credpool.secrets.http.HttpReply;
import io.credpool.secrets.http.RetryingHttp;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * GitHub Actions secrets: read inside a workflow from the environment, written with the REST API.
 *
 * <p>Reading. GitHub never gives a secret's value back through its API; a workflow receives it
 * as an environment variable it maps itself ({@code env: NPM_TOKEN: ${{ secrets.NPM_TOKEN }}}).
 * So {@link #current} reads the environment variable that {@code env:} maps the credential to.
 * There is exactly one readable version, with the fixed id {@value #ENV_VERSION}; {@link #versions}
 * lists it (labelled current) when the variable is set, and nothing otherwise.
 *
 * <p>Writing (rotation step 2). {@link #put} encrypts the value as a libsodium sealed box to the
 * repository's (environment's, organization's) public key and PUTs it with the key id. A write
 * takes effect for workflow runs that start afterwards; there is no staging on GitHub, so a
 * pending value is written to a separate secret, {@code NAME_PENDING}, for the verification
 * workflow to use. GitHub keeps no versions and has no compare-and-set: the expected current
 * version is not checked, and {@link #promote} is refused (credpool cannot read the pending value
 * back to copy it); the rotation writes the verified value again with label current instead.
 */
public final class GitHubActionsSecretsProvider implements SecretsProvider {
    public static final String ENV_VERSION = "env";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where secrets are written: a repository, one of its environments, or an organization. */
    public sealed interface Target {
        String basePath();

        String describe();

        /** Repository secrets: /repos/{owner}/{repo}/actions/secrets. */
        record Repository(String owner, String repo) implements Target {
            @Override
            public String basePath() {
                return "/repos/" + enc(owner) + "/" + enc(repo) + "/actions/secrets";
            }

            @Override
            public String describe() {
                return "repository " + owner + "/" + repo;
            }
        }

        /** Environment secrets: /repos/{owner}/{repo}/environments/{environment}/secrets. */
        record Environment(String owner, String repo, String environment) implements Target {
            @Override
            public String basePath() {
                return "/repos/" + enc(owner) + "/" + enc(repo) + "/environments/" + enc(environment) + "/secrets";
            }

            @Override
            public String describe() {
                return "environment " + environment + " of " + owner + "/" + repo;
            }
        }

        /** Organization secrets: /orgs/{org}/actions/secrets, visible to all or private repositories. */
        record Organization(String org, String visibility) implements Target {
            @Override
            public String basePath() {
                return "/orgs/" + enc(org) + "/actions/secrets";
            }

            @Override
            public String describe() {
                return "organization " + org;
            }
        }
    }

    /**
     * @param name the provider's name in credpool.yaml
     * @param apiUrl https://api.github.com, or a GitHub Enterprise Server's /api/v3
     * @param env credential name to the environment variable the workflow maps its secret to;
     *     the GitHub secret written for a credential has the same name as that variable
     */
    public record Settings(String name, URI apiUrl, Target target, Map<String, String> env, RetryPolicy retry,
            Duration requestTimeout) {
        public Settings {
            env = Map.copyOf(env);
        }
    }

    private final Settings settings;
    private final String token;
    private final Function<String, String> environment;
    private final RetryingHttp http;
    private final SecureRandom random;
    private final Clock clock;
    private final Instant started;

    /**
     * @param token a token allowed to write secrets (fine-grained: "Secrets" read and write;
     *     classic: repo, plus admin:org for organization secrets); may be null for read-only use
     * @param environment reads this process's environment (System::getenv outside tests)
     */
    public GitHubActionsSecretsProvider(Settings settings, String token, Function<String, String> environment,
            HttpClient client, Clock clock, RandomGenerator jitter, RetryingHttp.Sleeper sleeper) {
        this.settings = settings;
        this.token = token;
        this.environment = environment;
        this.clock = clock;
        this.started = clock.instant();
        this.random = new SecureRandom();
        this.http = new RetryingHttp("GitHub (provider '" + settings.name() + "')", client, settings.retry(),
                GitHubActionsSecretsProvider::retryable, jitter, sleeper);
    }

    public static GitHubActionsSecretsProvider create(Settings settings, String token) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(settings.requestTimeout()).build();
        return new GitHubActionsSecretsProvider(settings, token, System::getenv, client, Clock.systemUTC(),
                new SecureRandom(), d -> Thread.sleep(d.toMillis()));
    }

    /** 429, 5xx, and GitHub's 403 for an exhausted or secondary rate limit. */
    static boolean retryable(HttpReply r) {
        if (RetryingHttp.throttledOrServerError(r)) {
            return true;
        }
        return r.status() == 403 && (r.header("retry-after").isPresent()
                || r.header("x-ratelimit-remaining").map("0"::equals).orElse(false));
    }

    @Override
    public String kind() {
        return "github";
    }

    @Override
    public SecretValue current(String name) {
        String var = variable(name);
        String value = environment.apply(var);
        if (value == null) {
            throw new SecretNotFoundException(name, "credential '" + name + "' (GitHub provider '" + settings.name()
                    + "') comes from environment variable " + var + ", which is not set; map the secret in the workflow:"
                    + " `env: " + var + ": ${{ secrets." + var + " }}`");
        }
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        try {
            return SecretValue.of(name, ENV_VERSION, b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    @Override
    public SecretValue version(String name, String versionId) {
        if (ENV_VERSION.equals(versionId)) {
            return current(name);
        }
        throw new SecretNotFoundException(name, "GitHub cannot give back secret values: of credential '" + name
                + "' only the value the workflow put in the environment (version '" + ENV_VERSION + "') can be read,"
                + " not version '" + versionId + "'");
    }

    @Override
    public Optional<String> currentVersionId(String name) {
        String var = settings.env().get(name);
        return var != null && environment.apply(var) != null ? Optional.of(ENV_VERSION) : Optional.empty();
    }

    @Override
    public List<SecretVersion> versions(String name) {
        if (currentVersionId(name).isEmpty()) {
            // Through current() for the message that says which variable to map.
            current(name);
        }
        return List.of(new SecretVersion(name, ENV_VERSION, Set.of(Label.CURRENT), started));
    }

    @Override
    public List<SecretVersion> list() {
        List<SecretVersion> out = new ArrayList<>();
        for (String name : new TreeMap<>(settings.env()).keySet()) {
            if (currentVersionId(name).isPresent()) {
                out.add(new SecretVersion(name, ENV_VERSION, Set.of(Label.CURRENT), started));
            }
        }
        return out;
    }

    /**
     * Encrypts and writes the value; a pending value goes to {@code NAME_PENDING}. The returned
     * version id records when it was written ("gh-" and epoch milliseconds): GitHub has no ids.
     */
    @Override
    public SecretVersion put(String name, byte[] value, Label label, Optional<String> expectedCurrent) {
        if (token == null) {
            throw new ProviderUnavailableException(name, "GitHub provider '" + settings.name() + "' has no API token, so it"
                    + " cannot write credential '" + name + "'; set token_env or token_file for it", null);
        }
        String secret = variable(name) + (label == Label.PENDING ? "_PENDING" : label == Label.PREVIOUS ? "_PREVIOUS" : "");
        HttpReply keyReply = http.send(request("GET", settings.target().basePath() + "/public-key", null), name);
        JsonNode key = ok(keyReply, name, "get the public key of " + settings.target().describe());
        String keyId = key.path("key_id").asText("");
        byte[] publicKey;
        try {
            publicKey = Base64.getDecoder().decode(key.path("key").asText(""));
        } catch (IllegalArgumentException e) {
            publicKey = new byte[0];
        }
        if (keyId.isEmpty() || publicKey.length != SealedBox.KEY_BYTES) {
            throw new ProviderUnavailableException(name, "GitHub (provider '" + settings.name() + "') answered the public-key"
                    + " request for " + settings.target().describe() + " without a key_id and a 32-byte base64 key;"
                    + " check that api_url points at the GitHub REST API", null);
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("encrypted_value", Base64.getEncoder().encodeToString(SealedBox.seal(value, publicKey, random)));
        body.put("key_id", keyId);
        if (settings.target() instanceof Target.Organization o) {
            body.put("visibility", o.visibility());
        }
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
        HttpReply r = http.send(request("PUT", settings.target().basePath() + "/" + enc(secret), bytes), name);
        ok(r, name, "write secret " + secret + " of " + settings.target().describe());
        Instant now = clock.instant();
        return new SecretVersion(name, "gh-" + now.toEpochMilli(), Set.of(label), now);
    }

    @Override
    public SecretVersion promote(String name, String versionId, Optional<String> expectedCurrent) {
        throw new ProviderUnavailableException(name, "GitHub Actions secrets have no staging labels and cannot be read back,"
                + " so credpool cannot promote version '" + versionId + "' of credential '" + name + "' in GitHub provider '"
                + settings.name() + "'; write the verified value again as current instead", null);
    }

    @Override
    public void close() {
        // Nothing held: the JDK client needs no closing on Java 17.
    }

    private String variable(String name) {
        String var = settings.env().get(name);
        if (var == null) {
            throw new SecretNotFoundException(name, "credential '" + name + "' has no environment variable in GitHub provider '"
                    + settings.name() + "'; add `" + name + ": VARIABLE` under providers." + settings.name() + ".env");
        }
        return var;
    }

    private HttpRequest request(String method, String path, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(settings.apiUrl().toString().replaceAll("/+$", "") + path))
                .timeout(settings.requestTimeout())
                .header("Accept", "application/vnd.github+json")
                .header("Authorization", "Bearer " + token)
                .header("X-GitHub-Api-Version", "2022-11-28")
                .header("User-Agent", "credpool")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return b.build();
    }

    private JsonNode ok(HttpReply r, String name, String what) {
        String prefix = "GitHub (provider '" + settings.name() + "') ";
        String subject = " for credential '" + name + "'";
        if (r.isSuccess()) {
            if (r.body().length == 0) {
                return JSON.createObjectNode();
            }
            try {
                return JSON.readTree(r.body());
            } catch (IOException e) {
                throw new ProviderUnavailableException(name, prefix + "answered the request to " + what + subject + " with HTTP "
                        + r.status() + " and a body that is not JSON (" + r.body().length + " bytes); check that api_url points at"
                        + " the GitHub REST API", null);
            }
        }
        String said = "";
        try {
            said = JSON.readTree(r.body()).path("message").asText("");
        } catch (IOException | RuntimeException e) {
            // No JSON message: the status says enough.
        }
        String detail = said.isEmpty() ? "" : ": " + (said.length() > 200 ? said.substring(0, 200) + "…" : said);
        String message = switch (r.status()) {
            case 401 -> prefix + "rejected the API token when asked to " + what + subject + " (HTTP 401" + detail
                    + "): it is expired, revoked or mistyped; give credpool a valid token";
            case 403 -> prefix + "denied the request to " + what + subject + " (HTTP 403" + detail + "): a fine-grained token"
                    + " needs the \"Secrets\" permission (read and write), a classic token the repo scope"
                    + " (admin:org for organization secrets); or the rate limit stayed exhausted through "
                    + settings.retry().maxAttempts() + " attempts";
            case 404 -> prefix + "found nothing when asked to " + what + subject + " (HTTP 404): check owner, repo,"
                    + " environment or org, and that the token can see them";
            case 429 -> prefix + "kept rate limiting the request to " + what + subject + " (HTTP 429) through "
                    + settings.retry().maxAttempts() + " attempts; try again later";
            default -> prefix + "failed to " + what + subject + " (HTTP " + r.status() + detail + ")"
                    + (r.status() >= 500 ? " through " + settings.retry().maxAttempts() + " attempts" : "");
        };
        if (r.status() == 404) {
            throw new SecretNotFoundException(name, message);
        }
        throw new ProviderUnavailableException(name, message, null);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
