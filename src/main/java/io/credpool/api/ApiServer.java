package io.credpool.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.credpool.metrics.Metrics;
import io.credpool.pool.PoolStatus;
import io.credpool.pool.WarmPool;
import io.credpool.pool.WarmPools;
import io.credpool.task.Orchestrator;
import io.credpool.task.Session;
import io.credpool.task.TaskRefusedException;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskService;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.json.JavalinJackson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The HTTP API of a running orchestrator. It only translates: JSON in, a call on the core, JSON
 * out. Every route but /v1/health needs {@code Authorization: Bearer <token>}, /metrics too (the
 * pool and task counts say what runs here; Prometheus sends the token with {@code authorization:
 * credentials_file: ...api.token} in its scrape config). Errors are
 * {@code {"error": {"code": ..., "message": ...}}} with a stable code.
 */
public final class ApiServer implements AutoCloseable {
    private final TaskService tasks;
    private final Orchestrator orchestrator;
    private final byte[] token;
    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private final Javalin app;
    private final WarmPools pools;
    private final Metrics metrics;
    private final io.credpool.rotation.RotationService rotations;

    public ApiServer(TaskService tasks, String token) {
        this(tasks, token, null);
    }

    /** @param metrics served at GET /metrics; null for none */
    public ApiServer(TaskService tasks, String token, Metrics metrics) {
        this(tasks, token, metrics, null);
    }

    /** @param rotations served at /v1/rotations; null for none */
    public ApiServer(TaskService tasks, String token, Metrics metrics, io.credpool.rotation.RotationService rotations) {
        this.rotations = rotations;
        this.tasks = tasks;
        this.metrics = metrics;
        this.pools = tasks.orchestrator().pools();
        this.orchestrator = tasks.orchestrator();
        this.token = token.getBytes(StandardCharsets.UTF_8);
        this.app = Javalin.create(c -> {
            c.showJavalinBanner = false;
            c.jsonMapper(new JavalinJackson(json, false));
            c.http.maxRequestSize = 1024 * 1024;
        });
        app.before(this::authenticate);
        app.get("/v1/health", ctx -> ctx.json(Map.of("status", "ok")));
        app.post("/v1/tasks", this::submitTask);
        app.get("/v1/tasks/{id}", this::getTask);
        app.get("/v1/tasks/{id}/output", this::getOutput);
        app.post("/v1/sessions", this::openSession);
        app.get("/v1/sessions", ctx -> ctx.json(orchestrator.sessions().stream().map(ApiServer::view).toList()));
        app.delete("/v1/sessions/{id}", this::closeSession);
        app.get("/v1/pools", ctx -> ctx.json(pools.all().stream().map(p -> view(p.status())).toList()));
        app.get("/v1/pools/{type}", ctx -> ctx.json(view(pool(ctx).status())));
        app.post("/v1/pools/{type}/refresh", this::refreshPool);
        app.get("/metrics", this::scrape);
        app.post("/v1/rotations", this::rotate);
        app.get("/v1/rotations", ctx -> ctx.json(rotations().list().stream().map(io.credpool.rotation.RotationView::of).toList()));
        app.get("/v1/rotations/{id}", ctx -> ctx.json(io.credpool.rotation.RotationView.of(rotations().journal().find(ctx.pathParam("id"))
                .orElseThrow(() -> new NotFound("rotation_not_found", "no rotation '" + ctx.pathParam("id") + "'")))));
        app.exception(io.credpool.rotation.RotationInProgressException.class, (e, ctx) -> error(ctx, 409, "rotation_in_progress",
                e.getMessage()));
        app.exception(io.credpool.rotation.RotationException.class, (e, ctx) -> error(ctx, 422, "rotation_refused", e.getMessage()));
        app.exception(TaskRefusedException.class, (e, ctx) -> error(ctx, 422, e.code(), e.getMessage()));
        app.exception(BadRequest.class, (e, ctx) -> error(ctx, 400, "bad_request", e.getMessage()));
        app.exception(Unauthorized.class, (e, ctx) -> error(ctx, 401, "unauthorized", e.getMessage()));
        app.exception(NotFound.class, (e, ctx) -> error(ctx, 404, e.code, e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> {
            org.slf4j.LoggerFactory.getLogger(ApiServer.class).error("internal error on {} {}", ctx.method(), ctx.path(), e);
            error(ctx, 500, "internal", "internal error (" + e.getClass().getSimpleName() + "); see the server log");
        });
        app.error(404, ctx -> {
            String type = ctx.res().getContentType();
            if (type == null || !type.startsWith("application/json")) {
                error(ctx, 404, "not_found", "no route " + ctx.method() + " " + ctx.path());
            }
        });
        app.error(405, ctx -> error(ctx, 405, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path()));
    }

    /** Starts listening; port 0 picks a free one. */
    public ApiServer start(String host, int port) {
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

    private void authenticate(Context ctx) {
        if (ctx.path().equals("/v1/health")) {
            return;
        }
        String header = ctx.header("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            throw new Unauthorized("missing bearer token: send Authorization: Bearer <token from $CREDPOOL_HOME/api.token>");
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, token)) {
            throw new Unauthorized("invalid bearer token");
        }
    }

    private void submitTask(Context ctx) {
        JsonNode body = body(ctx);
        String type = text(body, "type", true);
        List<String> command = strings(body, "command").orElseThrow(() -> new BadRequest("field 'command' is required: a list of strings"));
        Optional<Path> workspace = Optional.ofNullable(text(body, "workspace", false)).map(Path::of);
        if (workspace.isPresent() && !workspace.get().isAbsolute()) {
            throw new BadRequest("field 'workspace' must be an absolute path on the server's host");
        }
        Optional<Set<String>> only = strings(body, "credentials").map(LinkedHashSet::new);
        TaskRequest request = new TaskRequest(type, command, workspace, Optional.ofNullable(text(body, "session", false)), only);
        TaskService.TaskView view = tasks.submit(request);
        if ("true".equals(ctx.queryParam("wait"))) {
            view = tasks.await(view.id());
            ctx.status(200);
        } else {
            ctx.status(202);
        }
        ctx.json(view(view));
    }

    private void getTask(Context ctx) {
        String id = ctx.pathParam("id");
        TaskService.TaskView v = tasks.get(id).orElseThrow(() -> new NotFound("task_not_found", "no task '" + id + "'"));
        ctx.json(view(v));
    }

    private void getOutput(Context ctx) {
        String id = ctx.pathParam("id");
        TaskService.Output o = tasks.output(id).orElseThrow(() -> new NotFound("task_not_found", "no task '" + id + "'"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stdout", new String(o.stdout(), StandardCharsets.UTF_8));
        m.put("stderr", new String(o.stderr(), StandardCharsets.UTF_8));
        m.put("truncated", o.truncated());
        ctx.json(m);
    }

    private void openSession(Context ctx) {
        JsonNode body = body(ctx);
        Session s = orchestrator.openSession(text(body, "type", true));
        ctx.status(201).json(view(s));
    }

    private void closeSession(Context ctx) {
        String id = ctx.pathParam("id");
        if (orchestrator.session(id).isEmpty()) {
            throw new NotFound("session_not_found", "no open session '" + id + "'");
        }
        orchestrator.closeSession(id);
        ctx.status(204);
    }

    private WarmPool pool(Context ctx) {
        String type = ctx.pathParam("type");
        return pools.pool(type).orElseThrow(() -> new NotFound("pool_not_found", "no warm pool for task type '" + type + "'; "
                + (pools.all().isEmpty() ? "no task type has one (add pool: {size: N} to a task type in credpool.yaml)"
                        : "pooled task types: " + String.join(", ", pools.all().stream().map(WarmPool::taskType).toList()))));
    }

    private io.credpool.rotation.RotationService rotations() {
        if (rotations == null) {
            throw new NotFound("not_found", "this server does not run rotations");
        }
        return rotations;
    }

    /** {credential, action: start (default) | resume | abort}: start and resume run in the background; 202 with the rotation. */
    private void rotate(Context ctx) {
        JsonNode body = body(ctx);
        String credential = text(body, "credential", true);
        String action = Optional.ofNullable(text(body, "action", false)).orElse("start");
        io.credpool.rotation.Rotation r = switch (action) {
            case "start" -> rotations().rotateInBackground(credential);
            case "resume" -> rotations().resumeInBackground(credential);
            case "abort" -> rotations().abort(credential, io.credpool.rotation.RotationListener.NONE);
            default -> throw new BadRequest("field 'action' must be start, resume or abort, not '" + action + "'");
        };
        ctx.status(action.equals("abort") ? 200 : 202).json(io.credpool.rotation.RotationView.of(r));
    }

    private void refreshPool(Context ctx) {
        WarmPool pool = pool(ctx);
        long generation = pool.refresh();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", pool.taskType());
        m.put("generation", generation);
        m.put("status", view(pool.status()));
        ctx.status(202).json(m);
    }

    private void scrape(Context ctx) {
        if (metrics == null) {
            throw new NotFound("not_found", "this server keeps no metrics");
        }
        ctx.contentType(Metrics.CONTENT_TYPE).result(metrics.scrape());
    }

    /** A pool's status: counts and version ids, never values or fingerprints. */
    private static Map<String, Object> view(PoolStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", s.type());
        m.put("backend", s.backend());
        m.put("size", s.size());
        m.put("maxAgeMs", s.maxAgeMs());
        m.put("fresh", s.fresh());
        m.put("stale", s.stale());
        m.put("building", s.building());
        m.put("leased", s.leased());
        m.put("fullyFresh", s.fullyFresh());
        m.put("generation", s.generation());
        m.put("leases", s.leases());
        m.put("coldStarts", s.coldStarts());
        m.put("staleDiscards", s.staleDiscards());
        m.put("expired", s.expired());
        m.put("died", s.died());
        m.put("buildFailures", s.buildFailures());
        m.put("consecutiveFailures", s.consecutiveFailures());
        m.put("lastError", s.lastError().orElse(null));
        m.put("nextAttemptInMs", s.nextAttemptInMs());
        m.put("baked", s.baked());
        m.put("current", s.current());
        return m;
    }

    private static Map<String, Object> view(Session s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("type", s.taskType());
        m.put("opened", s.opened());
        m.put("credentials", s.held());
        return m;
    }

    private static Map<String, Object> view(TaskService.TaskView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", v.id());
        m.put("type", v.type());
        m.put("status", v.status().name().toLowerCase(java.util.Locale.ROOT));
        m.put("submitted", v.submitted());
        v.result().ifPresent(r -> {
            m.put("exitCode", r.exitCode());
            m.put("timedOut", r.timedOut());
            m.put("elapsedMs", r.elapsed().toMillis());
            m.put("sandbox", r.sandbox());
            m.put("credentials", r.received());
        });
        v.error().ifPresent(e -> m.put("error", e));
        return m;
    }

    private JsonNode body(Context ctx) {
        try {
            JsonNode n = json.readTree(ctx.body());
            if (n == null || !n.isObject()) {
                throw new BadRequest("the request body must be a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadRequest("the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String text(JsonNode body, String field, boolean required) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                throw new BadRequest("field '" + field + "' is required");
            }
            return null;
        }
        if (!n.isTextual()) {
            throw new BadRequest("field '" + field + "' must be a string");
        }
        return n.asText();
    }

    private static Optional<List<String>> strings(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        if (!n.isArray()) {
            throw new BadRequest("field '" + field + "' must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw new BadRequest("field '" + field + "' must be a list of strings");
            }
            out.add(e.asText());
        }
        return Optional.of(out);
    }

    private static void error(Context ctx, int status, String code, String message) {
        Map<String, String> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        ctx.status(status).json(Map.of("error", error));
    }

    /** A client error with status 400. */
    static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }

    private static final class Unauthorized extends RuntimeException {
        Unauthorized(String message) {
            super(message);
        }
    }

    private static final class NotFound extends RuntimeException {
        final String code;

        NotFound(String code, String message) {
            super(message);
            this.code = code;
        }
    }
}
