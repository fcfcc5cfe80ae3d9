package io.credpool.demoservice;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;

/**
 * {@code credpool demo-service}: a small HTTP API-key service for the demo and the tests, whose
 * keys the http-api-key issuer rotates.
 *
 * <pre>
 * POST   /keys                 admin; header Idempotency-Key; 201 {"id","key"}, 200 with the same key on a repeat
 * GET    /check                Authorization: Bearer KEY; 200 {"id"} or 401
 * DELETE /keys/{id}            admin; 204, or 404 if never issued
 * DELETE /keys/by-hash/{sha}   admin; the same by the key's hex SHA-256
 * GET    /health               200, no auth
 * </pre>
 * The admin token is a bearer token compared in constant time; errors are JSON {"error": ...}.
 */
public final class DemoService implements AutoCloseable {
    private final ApiKeyStore keys = new ApiKeyStore();
    private final byte[] adminToken;
    private final Javalin app;

    public DemoService(String adminToken) {
        if (adminToken.isBlank()) {
            throw new IllegalArgumentException("the demo service's admin token is empty");
        }
        this.adminToken = adminToken.getBytes(StandardCharsets.UTF_8);
        this.app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.http.maxRequestSize = 64 * 1024;
        });
        app.get("/health", ctx -> ctx.json(Map.of("status", "ok")));
        app.post("/keys", this::issue);
        app.get("/check", this::check);
        app.delete("/keys/by-hash/{sha256}", ctx -> {
            if (admin(ctx)) {
                revoked(ctx, keys.revokeByHash(ctx.pathParam("sha256")));
            }
        });
        app.delete("/keys/{id}", ctx -> {
            if (admin(ctx)) {
                revoked(ctx, keys.revokeById(ctx.pathParam("id")));
            }
        });
    }

    public DemoService start(String host, int port) {
        app.start(host, port);
        return this;
    }

    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }

    private void issue(Context ctx) {
        if (!admin(ctx)) {
            return;
        }
        String idem = ctx.header("Idempotency-Key");
        if (idem == null || idem.isBlank() || idem.length() > 256) {
            error(ctx, 400, "header Idempotency-Key is required (1 to 256 characters): repeating a request with the same"
                    + " key returns the same API key");
            return;
        }
        ApiKeyStore.Issued issued = keys.issue(idem);
        ctx.header("Cache-Control", "no-store");
        ctx.status(issued.replayed() ? 200 : 201).json(Map.of("id", issued.id(), "key", issued.key()));
    }

    private void check(Context ctx) {
        Optional<String> id = bearer(ctx).flatMap(keys::check);
        if (id.isEmpty()) {
            error(ctx, 401, "invalid or revoked API key");
            return;
        }
        ctx.json(Map.of("id", id.get()));
    }

    private void revoked(Context ctx, boolean known) {
        if (known) {
            ctx.status(204);
        } else {
            error(ctx, 404, "no such key");
        }
    }

    private boolean admin(Context ctx) {
        Optional<String> token = bearer(ctx);
        if (token.isEmpty() || !MessageDigest.isEqual(token.get().getBytes(StandardCharsets.UTF_8), adminToken)) {
            error(ctx, 401, "admin token required: Authorization: Bearer <admin token>");
            return false;
        }
        return true;
    }

    private static Optional<String> bearer(Context ctx) {
        String h = ctx.header("Authorization");
        if (h == null || !h.startsWith("Bearer ")) {
            return Optional.empty();
        }
        return Optional.of(h.substring("Bearer ".length()).trim());
    }

    private static void error(Context ctx, int status, String message) {
        ctx.status(status).json(Map.of("error", message));
    }
}
