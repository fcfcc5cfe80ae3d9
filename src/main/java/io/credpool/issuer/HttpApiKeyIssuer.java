package io.credpool.issuer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.credpool.secrets.SecretValue;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Issues API keys from an HTTP key service with the demo service's API ({@code credpool
 * demo-service}): POST /keys with an Idempotency-Key, GET /check, DELETE /keys/by-hash/{sha256}.
 *
 * <p>The service chooses the key, so {@code proposed} is ignored; the idempotency key is
 * {@code <credential>:<rotationId>}, so a repeated create returns the same key. The value is the
 * key itself. Revoke sends only the key's SHA-256, never the key.
 */
public final class HttpApiKeyIssuer implements CredentialIssuer {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** @param url the service's base URL, e.g. http://127.0.0.1:7392 */
    public record Settings(URI url, AdminSecret adminToken, Duration timeout) {
        public Settings {
            // resolve("keys") against a URL without a trailing slash would drop the last path segment.
            if (!url.toString().endsWith("/")) {
                url = URI.create(url + "/");
            }
        }
    }

    private final Settings s;
    private final HttpClient http;

    public HttpApiKeyIssuer(Settings settings) {
        this.s = settings;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).build();
    }

    @Override
    public String kind() {
        return "http-api-key";
    }

    @Override
    public SecretValue create(String credential, String rotationId, SecretValue proposed, Optional<SecretValue> current) {
        HttpRequest request = admin(credential, "keys").header("Idempotency-Key", credential + ":" + rotationId)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<byte[]> r = send(credential, "creating an API key", request);
        if (r.statusCode() != 200 && r.statusCode() != 201) {
            throw status(credential, "creating an API key", r);
        }
        try {
            JsonNode key = JSON.readTree(r.body()).get("key");
            if (key == null || !key.isTextual() || key.asText().isEmpty()) {
                throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': the API-key service at "
                        + s.url() + " answered POST /keys without a \"key\"; is it a credpool demo-service?", null);
            }
            return SecretValue.of(credential, rotationId, key.asText().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // Jackson's message would quote the body, which holds the key: say only what went wrong.
            throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': the API-key service at "
                    + s.url() + " answered POST /keys with a body that is not JSON", null);
        } finally {
            java.util.Arrays.fill(r.body(), (byte) 0);
        }
    }

    @Override
    public void verify(String credential, SecretValue value) {
        HttpRequest request = HttpRequest.newBuilder(s.url().resolve("check")).timeout(s.timeout())
                .header("Authorization", "Bearer " + value.asEnvironmentValue()).GET().build();
        HttpResponse<byte[]> r = send(credential, "checking the API key", request);
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': the API-key service at "
                    + s.url() + " does not accept the key (HTTP " + r.statusCode() + ": unknown or revoked)", null);
        }
        if (r.statusCode() != 200) {
            throw status(credential, "checking the API key", r);
        }
    }

    /** Revokes by the key's SHA-256; a key the service does not know (404) already does not work. */
    @Override
    public void revoke(String credential, SecretValue value) {
        HttpRequest request = admin(credential, "keys/by-hash/" + sha256(value)).DELETE().build();
        HttpResponse<byte[]> r = send(credential, "revoking an API key", request);
        if (r.statusCode() != 204 && r.statusCode() != 200 && r.statusCode() != 404) {
            throw status(credential, "revoking an API key", r);
        }
    }

    private HttpRequest.Builder admin(String credential, String path) {
        String token = s.adminToken().read(credential).orElseThrow(() -> new IssuerException(IssuerException.Kind.REJECTED,
                "credential '" + credential + "': the http-api-key issuer needs an admin token (admin_token_file or admin_token_env)",
                null));
        return HttpRequest.newBuilder(s.url().resolve(path)).timeout(s.timeout()).header("Authorization", "Bearer " + token);
    }

    private HttpResponse<byte[]> send(String credential, String action, HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IssuerException(IssuerException.Kind.UNAVAILABLE, "credential '" + credential + "': the API-key service at "
                    + s.url() + " did not answer while " + action + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + "); check that it runs, then retry", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IssuerException(IssuerException.Kind.UNAVAILABLE, "credential '" + credential + "': interrupted while " + action, e);
        }
    }

    /** An unexpected status; the body is quoted only for errors, which never carry a key. */
    private IssuerException status(String credential, String action, HttpResponse<byte[]> r) {
        int code = r.statusCode();
        String detail = "";
        try {
            JsonNode error = JSON.readTree(r.body()).get("error");
            detail = error != null && error.isTextual() ? ": " + error.asText() : "";
        } catch (IOException e) {
            // no JSON error: the status says enough
        }
        if (code == 401 || code == 403) {
            return new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': the API-key service at "
                    + s.url() + " refused the admin token while " + action + " (HTTP " + code + detail + "); check the issuer's"
                    + " admin token " + s.adminToken(), null);
        }
        IssuerException.Kind kind = code >= 500 || code == 429 ? IssuerException.Kind.UNAVAILABLE : IssuerException.Kind.REJECTED;
        return new IssuerException(kind, "credential '" + credential + "': the API-key service at " + s.url() + " answered HTTP "
                + code + detail + " while " + action, null);
    }

    private static String sha256(SecretValue value) {
        byte[] b = value.bytes();
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        } finally {
            java.util.Arrays.fill(b, (byte) 0);
        }
    }
}
