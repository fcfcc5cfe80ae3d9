package io.credpool.secrets.vault;

import com.fasterxml.jackson.core.JsonProcessingException;
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
import io.credpool.secrets.VersionConflictException;
import io.credpool.secrets.http.HttpReply;
import io.credpool.secrets.http.RetryingHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * Credentials in a HashiCorp Vault KV version 2 mount, over Vault's HTTP API.
 *
 * <p>Each credential is one KV path, {@code {mount}/data/{path_prefix}{name}}; its value is the
 * field {@code field} (default "value") of the secret's data. Vault numbers versions 1, 2, 3...;
 * those numbers are credpool's version ids.
 *
 * <p>Labels. Vault has no staging labels: a read without a version returns the newest version.
 * credpool writes a pending version as a new Vault version too, so it keeps its labels in the
 * secret's custom_metadata: {@code credpool-current}, {@code credpool-pending} and
 * {@code credpool-previous} hold version numbers. Current is {@code credpool-current}; when
 * that is absent (a secret written with {@code vault kv put} only) or when Vault's
 * current_version is newer than every version credpool labelled (someone ran
 * {@code vault kv put} after credpool), Vault's newest version is current, as a Vault user
 * expects. Deleted and destroyed versions have no label and are not listed.
 *
 * <p>Writes use check-and-set ({@code options.cas}) on Vault's newest version number, so two
 * writers cannot both append; the label update that follows is a second request (Vault's
 * metadata endpoint has no check-and-set), so two concurrent promotions of one secret are not
 * serialized by Vault: credpool's rotation journal does that.
 */
public final class VaultKv2Provider implements SecretsProvider {
    static final String CURRENT = "credpool-current";
    static final String PENDING = "credpool-pending";
    static final String PREVIOUS = "credpool-previous";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param name the provider's name in credpool.yaml, used in messages
     * @param address e.g. https://vault.example.com:8200
     * @param namespace Vault Enterprise / HCP namespace, sent as X-Vault-Namespace
     * @param mount the KV v2 mount, e.g. "secret"
     * @param pathPrefix prepended to each credential name, e.g. "credpool/"
     * @param field the key inside the secret's data that holds the value
     */
    public record Settings(String name, URI address, Optional<String> namespace, String mount, String pathPrefix,
            String field, RetryPolicy retry, Duration requestTimeout) {
    }

    private final Settings settings;
    private final VaultAuth auth;
    private final RetryingHttp http;
    private final Clock clock;
    private final Object tokenLock = new Object();
    private Session session;

    /** The token in use and when it lapses; never printed. */
    private record Session(String token, Instant expires, Duration ttl, boolean renewable) {
        @Override
        public String toString() {
            return "Session[token=****, expires=" + expires + "]";
        }
    }

    public VaultKv2Provider(Settings settings, VaultAuth auth, HttpClient client, Clock clock, RandomGenerator random,
            RetryingHttp.Sleeper sleeper) {
        this.settings = settings;
        this.auth = auth;
        this.clock = clock;
        this.http = new RetryingHttp("Vault (provider '" + settings.name() + "')", client, settings.retry(),
                RetryingHttp::throttledOrServerError, random, sleeper);
    }

    /** A provider with the JDK's HTTP client and real pauses. */
    public static VaultKv2Provider create(Settings settings, VaultAuth auth) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(settings.requestTimeout()).build();
        return new VaultKv2Provider(settings, auth, client, Clock.systemUTC(), new java.security.SecureRandom(),
                d -> Thread.sleep(d.toMillis()));
    }

    @Override
    public String kind() {
        return "vault";
    }

    @Override
    public SecretValue current(String name) {
        Metadata m = metadata(name).orElseThrow(() -> notFound(name));
        if (m.current() == 0) {
            throw new SecretNotFoundException(name, where(name) + " has no current version (every version is deleted or"
                    + " destroyed); write one with `vault kv put` or through credpool");
        }
        return read(name, m.current());
    }

    @Override
    public SecretValue version(String name, String versionId) {
        int v;
        try {
            v = Integer.parseInt(versionId);
        } catch (NumberFormatException e) {
            throw new SecretNotFoundException(name, where(name) + " has no version '" + versionId
                    + "': Vault version ids are numbers (1, 2, 3, ...)");
        }
        return read(name, v);
    }

    @Override
    public Optional<String> currentVersionId(String name) {
        return metadata(name).filter(m -> m.current() > 0).map(m -> Integer.toString(m.current()));
    }

    @Override
    public List<SecretVersion> versions(String name) {
        Metadata m = metadata(name).orElseThrow(() -> notFound(name));
        List<SecretVersion> out = new ArrayList<>();
        for (Map.Entry<Integer, Instant> e : m.live().entrySet()) {
            Set<Label> labels = EnumSet.noneOf(Label.class);
            int v = e.getKey();
            if (v == m.current()) {
                labels.add(Label.CURRENT);
            }
            if (v == m.pending()) {
                labels.add(Label.PENDING);
            }
            if (v == m.previous()) {
                labels.add(Label.PREVIOUS);
            }
            out.add(new SecretVersion(name, Integer.toString(v), labels, e.getValue()));
        }
        out.sort(Comparator.comparing((SecretVersion s) -> Integer.parseInt(s.versionId())).reversed());
        return out;
    }

    /** Every credential under the path prefix (one level: credential names have no '/'). */
    @Override
    public List<SecretVersion> list() {
        HttpReply r = call("LIST", "/v1/" + settings.mount() + "/metadata/" + settings.pathPrefix(), null, null);
        if (r.status() == 404) {
            return List.of();
        }
        JsonNode keys = ok(r, null, "list " + settings.mount() + "/metadata/" + settings.pathPrefix()).path("data").path("keys");
        List<SecretVersion> out = new ArrayList<>();
        for (JsonNode k : keys) {
            String key = k.asText();
            if (!key.endsWith("/") && key.matches("[a-z0-9][a-z0-9._-]{0,127}")) {
                try {
                    out.addAll(versions(key));
                } catch (SecretNotFoundException e) {
                    // Deleted between the listing and now.
                }
            }
        }
        out.sort(Comparator.comparing(SecretVersion::name));
        return out;
    }

    @Override
    public SecretVersion put(String name, byte[] value, Label label, Optional<String> expectedCurrent) {
        Optional<Metadata> before = metadata(name);
        String actual = before.filter(m -> m.current() > 0).map(m -> Integer.toString(m.current())).orElse("");
        checkExpected(name, expectedCurrent, actual);
        ObjectNode body = JSON.createObjectNode();
        // cas on Vault's newest version (0: the secret must not exist yet) makes the append atomic.
        body.putObject("options").put("cas", before.map(Metadata::newest).orElse(0));
        body.putObject("data").put(settings.field(), utf8(name, value));
        HttpReply r = call("POST", dataPath(name), bytes(body), name);
        if (r.status() == 400 && errors(r).contains("check-and-set")) {
            r.wipe();
            String now = currentVersionId(name).orElse(null);
            throw new VersionConflictException(name, expectedCurrent.orElse(actual), now);
        }
        JsonNode data = ok(r, name, "write " + where(name)).path("data");
        int written = data.path("version").asInt(0);
        if (written <= 0) {
            throw malformed(name, "write", r, "no data.version in the answer");
        }
        Map<String, String> custom = new LinkedHashMap<>(before.map(Metadata::custom).orElse(Map.of()));
        int oldCurrent = before.map(Metadata::current).orElse(0);
        switch (label) {
            case CURRENT -> {
                custom.put(CURRENT, Integer.toString(written));
                putOrRemove(custom, PREVIOUS, oldCurrent);
            }
            case PENDING -> {
                custom.put(PENDING, Integer.toString(written));
                // A secret first written as pending has no current version yet: say so explicitly,
                // or Vault's newest (this pending one) would be taken as current.
                custom.put(CURRENT, Integer.toString(oldCurrent));
            }
            case PREVIOUS -> {
                custom.put(PREVIOUS, Integer.toString(written));
                custom.put(CURRENT, Integer.toString(oldCurrent));
            }
        }
        writeCustomMetadata(name, custom);
        return new SecretVersion(name, Integer.toString(written), Set.of(label), parseTime(data.path("created_time").asText(null)));
    }

    @Override
    public SecretVersion promote(String name, String versionId, Optional<String> expectedCurrent) {
        Metadata m = metadata(name).orElseThrow(() -> notFound(name));
        String actual = m.current() > 0 ? Integer.toString(m.current()) : "";
        checkExpected(name, expectedCurrent, actual);
        int v;
        try {
            v = Integer.parseInt(versionId);
        } catch (NumberFormatException e) {
            v = -1;
        }
        if (!m.live().containsKey(v)) {
            throw new SecretNotFoundException(name, where(name) + " has no live version '" + versionId
                    + "' (never written, deleted or destroyed); see the versions with `vault kv metadata get`");
        }
        Map<String, String> custom = new LinkedHashMap<>(m.custom());
        custom.put(CURRENT, Integer.toString(v));
        if (m.current() != v) {
            putOrRemove(custom, PREVIOUS, m.current());
        }
        if (m.pending() == v) {
            custom.remove(PENDING);
        }
        writeCustomMetadata(name, custom);
        return new SecretVersion(name, Integer.toString(v), Set.of(Label.CURRENT), m.live().get(v));
    }

    @Override
    public void close() {
        // The JDK client needs no closing on Java 17; the token is left to expire (credpool does
        // not revoke it: an operator-supplied token may be shared).
    }

    // ---- reading

    private SecretValue read(String name, int version) {
        HttpReply r = call("GET", dataPath(name) + "?version=" + version, null, name);
        if (r.status() == 404) {
            r.wipe();
            throw new SecretNotFoundException(name, where(name) + " has no version " + version
                    + " (never written, deleted or destroyed)");
        }
        JsonNode root = ok(r, name, "read " + where(name));
        try {
            JsonNode v = root.path("data").path("data").path(settings.field());
            if (!v.isTextual()) {
                throw new SecretNotFoundException(name, where(name) + " version " + version + " has no text field '"
                        + settings.field() + "' in its data; store the value under that key (or set `field:` for this provider)");
            }
            int got = root.path("data").path("metadata").path("version").asInt(version);
            byte[] b = v.textValue().getBytes(StandardCharsets.UTF_8);
            try {
                return SecretValue.of(name, Integer.toString(got), b);
            } finally {
                java.util.Arrays.fill(b, (byte) 0);
            }
        } finally {
            r.wipe();
        }
    }

    /** What the metadata endpoint says, with credpool's labels worked out. */
    private record Metadata(int newest, int current, int pending, int previous, TreeMap<Integer, Instant> live,
            Map<String, String> custom) {
    }

    private Optional<Metadata> metadata(String name) {
        HttpReply r = call("GET", metadataPath(name), null, name);
        if (r.status() == 404) {
            return Optional.empty();
        }
        JsonNode data = ok(r, name, "read the metadata of " + where(name)).path("data");
        if (!data.isObject()) {
            throw malformed(name, "read the metadata", r, "no data object");
        }
        TreeMap<Integer, Instant> live = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = data.path("versions").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            boolean deleted = !v.path("deletion_time").asText("").isEmpty();
            if (!deleted && !v.path("destroyed").asBoolean(false)) {
                try {
                    live.put(Integer.parseInt(e.getKey()), parseTime(v.path("created_time").asText(null)));
                } catch (NumberFormatException bad) {
                    throw malformed(name, "read the metadata", r, "version key '" + e.getKey() + "' is not a number");
                }
            }
        }
        Map<String, String> custom = new LinkedHashMap<>();
        data.path("custom_metadata").fields().forEachRemaining(e -> custom.put(e.getKey(), e.getValue().asText()));
        int newest = data.path("current_version").asInt(0);
        int labelledCurrent = number(custom.get(CURRENT));
        int pending = number(custom.get(PENDING));
        int previous = number(custom.get(PREVIOUS));
        int current;
        if (!custom.containsKey(CURRENT) || newest > Math.max(labelledCurrent, pending)) {
            // Not managed by credpool yet, or written with `vault kv put` since: Vault's newest wins.
            current = live.containsKey(newest) ? newest : 0;
            if (custom.containsKey(CURRENT) && labelledCurrent != current) {
                previous = labelledCurrent;
            }
            pending = pending > labelledCurrent && pending != newest ? pending : 0;
        } else {
            current = labelledCurrent;
        }
        return Optional.of(new Metadata(newest, live.containsKey(current) ? current : 0,
                live.containsKey(pending) && pending != current ? pending : 0,
                live.containsKey(previous) && previous != current ? previous : 0, live, custom));
    }

    private void writeCustomMetadata(String name, Map<String, String> custom) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode c = body.putObject("custom_metadata");
        custom.forEach(c::put);
        HttpReply r = call("POST", metadataPath(name), bytes(body), name);
        ok(r, name, "update the labels (custom_metadata) of " + where(name));
    }

    // ---- HTTP and auth

    private HttpReply call(String method, String path, byte[] body, String credential) {
        String token = token(credential);
        HttpReply r = http.send(request(method, path, body, token), credential);
        if (r.status() == 403 && auth instanceof VaultAuth.AppRole) {
            // An AppRole token may have been revoked or outlived its max TTL: log in once more.
            r.wipe();
            synchronized (tokenLock) {
                if (session != null && session.token().equals(token)) {
                    session = null;
                }
            }
            r = http.send(request(method, path, body, token(credential)), credential);
        }
        return r;
    }

    private HttpRequest request(String method, String path, byte[] body, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(settings.address().resolve(path))
                .timeout(settings.requestTimeout())
                .header("X-Vault-Request", "true")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            b.header("X-Vault-Token", token);
        }
        settings.namespace().ifPresent(ns -> b.header("X-Vault-Namespace", ns));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return b.build();
    }

    /** A token good for the next request: logs in, or renews one that is two thirds through its TTL. */
    private String token(String credential) {
        synchronized (tokenLock) {
            Instant now = clock.instant();
            if (session == null) {
                session = auth instanceof VaultAuth.AppRole a ? login(a, credential)
                        : lookupSelf(((VaultAuth.Token) auth).token(), credential);
            } else if (session.expires() != null && !session.ttl().isZero()) {
                Instant renewAt = session.expires().minus(session.ttl().dividedBy(3));
                if (!now.isBefore(renewAt)) {
                    session = refresh(credential, now);
                }
            }
            return session.token();
        }
    }

    private Session refresh(String credential, Instant now) {
        boolean expired = !now.isBefore(session.expires());
        if (session.renewable() && !expired) {
            HttpReply r = http.send(request("POST", "/v1/auth/token/renew-self", bytes(JSON.createObjectNode()), session.token()), credential);
            if (r.isSuccess()) {
                return fromAuth(r, credential, "renew the Vault token");
            }
            r.wipe();
        }
        if (auth instanceof VaultAuth.AppRole a) {
            return login(a, credential);
        }
        if (expired) {
            throw new ProviderUnavailableException(credential, "the Vault token of provider '" + settings.name()
                    + "' expired at " + session.expires() + " and cannot be renewed; give credpool a fresh token"
                    + " (or use AppRole auth, which logs in again by itself)", null);
        }
        // Not renewable but still valid: use it until it lapses.
        return session;
    }

    private Session lookupSelf(String token, String credential) {
        HttpReply r = http.send(request("GET", "/v1/auth/token/lookup-self", null, token), credential);
        if (r.status() == 403 || r.status() == 401) {
            r.wipe();
            throw new ProviderUnavailableException(credential, "Vault rejected the token of provider '" + settings.name()
                    + "' (HTTP " + r.status() + " permission denied): it is expired, revoked or mistyped;"
                    + " give credpool a valid token (e.g. `vault token create`) in its environment variable or file", null);
        }
        JsonNode data = ok(r, credential, "look up the Vault token").path("data");
        long ttl = data.path("ttl").asLong(0);
        boolean renewable = data.path("renewable").asBoolean(false);
        Instant now = clock.instant();
        // ttl 0 is a token that never expires (e.g. a root or dev-server token).
        return new Session(token, ttl == 0 ? null : now.plusSeconds(ttl), Duration.ofSeconds(ttl), renewable);
    }

    private Session login(VaultAuth.AppRole a, String credential) {
        ObjectNode body = JSON.createObjectNode().put("role_id", a.roleId()).put("secret_id", a.secretId());
        HttpReply r = http.send(request("POST", "/v1/auth/" + a.mount() + "/login", bytes(body), null), credential);
        if (r.status() == 400 || r.status() == 403 || r.status() == 401) {
            String why = errors(r);
            r.wipe();
            throw new ProviderUnavailableException(credential, "Vault refused the AppRole login of provider '" + settings.name()
                    + "' at auth/" + a.mount() + " (HTTP " + r.status() + (why.isEmpty() ? "" : ": " + why)
                    + "): check the role id and that the secret id is current", null);
        }
        return fromAuth(r, credential, "log in with AppRole");
    }

    private Session fromAuth(HttpReply r, String credential, String what) {
        JsonNode a = ok(r, credential, what).path("auth");
        String token = a.path("client_token").asText("");
        if (token.isEmpty()) {
            throw malformed(credential, what, r, "no auth.client_token");
        }
        long ttl = a.path("lease_duration").asLong(0);
        return new Session(token, ttl == 0 ? null : clock.instant().plusSeconds(ttl), Duration.ofSeconds(ttl),
                a.path("renewable").asBoolean(false));
    }

    /** The parsed body of a 2xx answer; otherwise an error a person can act on, naming the credential. */
    private JsonNode ok(HttpReply r, String credential, String what) {
        String subject = credential == null ? "" : " for credential '" + credential + "'";
        int s = r.status();
        if (r.isSuccess()) {
            if (r.body().length == 0) {
                return JSON.createObjectNode();
            }
            try {
                return JSON.readTree(r.body());
            } catch (JsonProcessingException e) {
                // Jackson's message quotes the body, which may hold a value: report only where it broke.
                throw malformed(credential, what, r, "not JSON" + (e.getLocation() == null ? ""
                        : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()));
            } catch (java.io.IOException e) {
                throw malformed(credential, what, r, "unreadable");
            }
        }
        String why = errors(r);
        String detail = why.isEmpty() ? "" : ": " + why;
        r.wipe();
        String prefix = "Vault (provider '" + settings.name() + "') ";
        String message = switch (s) {
            case 403 -> prefix + "denied the request to " + what + subject + " (HTTP 403" + detail + "): the token's policy must allow it"
                    + " on that path, or the token has expired or been revoked";
            case 404 -> prefix + "answered HTTP 404 (not found) to the request to " + what + subject;
            case 429 -> prefix + "kept rate limiting the request to " + what + subject + " (HTTP 429) through "
                    + http.policy().maxAttempts() + " attempts; try again later or raise the rate limit quota";
            case 503 -> prefix + "is unavailable (HTTP 503: sealed, in standby or in maintenance) for the request to " + what + subject
                    + " through " + http.policy().maxAttempts() + " attempts; unseal it or point `address` at the active node";
            default -> prefix + "failed to " + what + subject + " (HTTP " + s + detail + ")"
                    + (s >= 500 ? " through " + http.policy().maxAttempts() + " attempts" : "");
        };
        if (s == 404) {
            throw new SecretNotFoundException(credential, message);
        }
        throw new ProviderUnavailableException(credential, message, null);
    }

    /** Vault's own error strings ({"errors": [...]}): they describe the request, never a value. */
    private static String errors(HttpReply r) {
        try {
            JsonNode n = JSON.readTree(r.body()).path("errors");
            List<String> out = new ArrayList<>();
            n.forEach(e -> out.add(e.asText()));
            String s = String.join("; ", out);
            return s.length() > 300 ? s.substring(0, 300) + "…" : s;
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }

    private ProviderUnavailableException malformed(String credential, String what, HttpReply r, String why) {
        int status = r.status();
        int length = r.body().length;
        r.wipe();
        return new ProviderUnavailableException(credential, "Vault (provider '" + settings.name() + "') answered the request to "
                + what + (credential == null ? "" : " for credential '" + credential + "'") + " with HTTP " + status
                + " and a body that is not what Vault's KV v2 API documents (" + why + ", " + length
                + " bytes); check that `address` points at Vault and `mount` at a KV version 2 mount", null);
    }

    private void checkExpected(String name, Optional<String> expected, String actual) {
        if (expected.isPresent() && !expected.get().equals(actual)) {
            throw new VersionConflictException(name, expected.get().isEmpty() ? null : expected.get(), actual.isEmpty() ? null : actual);
        }
    }

    private SecretNotFoundException notFound(String name) {
        return new SecretNotFoundException(name, "credential '" + name + "' is not in Vault (provider '" + settings.name()
                + "'): nothing at " + settings.mount() + "/data/" + settings.pathPrefix() + name
                + "; write it with `vault kv put -mount=" + settings.mount() + " " + settings.pathPrefix() + name + " "
                + settings.field() + "=...`");
    }

    private String where(String name) {
        return "Vault secret " + settings.mount() + "/data/" + settings.pathPrefix() + name;
    }

    private String dataPath(String name) {
        return "/v1/" + settings.mount() + "/data/" + settings.pathPrefix() + name;
    }

    private String metadataPath(String name) {
        return "/v1/" + settings.mount() + "/metadata/" + settings.pathPrefix() + name;
    }

    private static String utf8(String name, byte[] value) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("secret '" + name + "' is not valid UTF-8; Vault KV stores text values");
        }
    }

    private static byte[] bytes(JsonNode n) {
        try {
            return JSON.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    private static void putOrRemove(Map<String, String> m, String key, int version) {
        if (version > 0) {
            m.put(key, Integer.toString(version));
        } else {
            m.remove(key);
        }
    }

    private static int number(String s) {
        if (s == null) {
            return 0;
        }
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Instant parseTime(String s) {
        if (s == null || s.isEmpty()) {
            return Instant.EPOCH;
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }
}
