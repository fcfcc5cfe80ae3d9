package io.credpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.credpool.metrics.Metrics;
import io.credpool.task.Orchestrator;
import io.credpool.task.TaskService;
import io.credpool.testing.Sandboxing;
import io.credpool.testing.TestHome;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiPoolsTest {
    private static final String TOKEN = "test-api-token-456";
    private static final String SECRET = "npm_pool-secret-value-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    TestHome home;
    Orchestrator orchestrator;
    TaskService tasks;
    ApiServer server;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void setUp() throws Exception {
        Sandboxing.requireBubblewrap();
        home = new TestHome(tmp, """
                task_types:
                  build:
                    pool: {size: 2, max_age: 10m}
                    credentials: [{name: npm-token, env: NPM_TOKEN, scope: pool}]
                  lint: {}
                """);
        home.put("npm-token", SECRET);
        Metrics metrics = new Metrics();
        orchestrator = home.credpool().serverOrchestrator(null, metrics.registry());
        tasks = new TaskService(orchestrator, 100);
        server = new ApiServer(tasks, TOKEN, metrics).start("127.0.0.1", 0);
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
            tasks.close();
            orchestrator.close();
        }
        if (home != null) {
            home.close();
        }
    }

    private HttpResponse<String> call(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode awaitFresh() throws Exception {
        for (int i = 0; i < 3000; i++) {
            JsonNode p = JSON.readTree(call("GET", "/v1/pools/build", null, TOKEN).body());
            if (p.path("fullyFresh").asBoolean()) {
                return p;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the pool never became fully fresh");
    }

    @Test
    void poolsWithoutATokenAre401WithTheExactError() throws Exception {
        HttpResponse<String> r = call("GET", "/v1/pools", null, null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("{\"error\":{\"code\":\"unauthorized\",\"message\":\"missing bearer token: send"
                + " Authorization: Bearer <token from $CREDPOOL_HOME/api.token>\"}}");
    }

    @Test
    void poolsWithAWrongTokenAre401WithTheExactError() throws Exception {
        HttpResponse<String> r = call("POST", "/v1/pools/build/refresh", null, "wrong");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("{\"error\":{\"code\":\"unauthorized\",\"message\":\"invalid bearer token\"}}");
    }

    @Test
    void metricsNeedTheTokenToo() throws Exception {
        assertThat(call("GET", "/metrics", null, null).statusCode()).isEqualTo(401);
        assertThat(call("GET", "/metrics", null, "wrong").statusCode()).isEqualTo(401);
    }

    @Test
    void anUnknownPoolIs404WithTheExactError() throws Exception {
        HttpResponse<String> r = call("GET", "/v1/pools/lint", null, TOKEN);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("{\"error\":{\"code\":\"pool_not_found\",\"message\":\"no warm pool for task type 'lint';"
                + " pooled task types: build\"}}");
        assertThat(call("POST", "/v1/pools/nightly/refresh", null, TOKEN).statusCode()).isEqualTo(404);
    }

    @Test
    void anUnknownTaskIs404AndBadJsonIs400WithTheExactErrors() throws Exception {
        HttpResponse<String> r = call("GET", "/v1/tasks/t-nope", null, TOKEN);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).isEqualTo("{\"error\":{\"code\":\"task_not_found\",\"message\":\"no task 't-nope'\"}}");
        HttpResponse<String> bad = call("POST", "/v1/tasks", "[1, 2", TOKEN);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).path("error").path("code").asText()).isEqualTo("bad_request");
        HttpResponse<String> notObject = call("POST", "/v1/tasks", "[1, 2]", TOKEN);
        assertThat(notObject.body()).isEqualTo("{\"error\":{\"code\":\"bad_request\",\"message\":\"the request body must be a JSON object\"}}");
    }

    @Test
    void poolStatusShowsCountsAndVersionIdsButNeverValues() throws Exception {
        JsonNode p = awaitFresh();
        assertThat(p.path("size").asInt()).isEqualTo(2);
        assertThat(p.path("fresh").asInt()).isEqualTo(2);
        assertThat(p.path("backend").asText()).isEqualTo("bubblewrap");
        assertThat(p.path("baked").toString()).isEqualTo("{\"npm-token\":{\"v1\":2}}");
        assertThat(p.path("current").toString()).isEqualTo("{\"npm-token\":\"v1\"}");
        HttpResponse<String> all = call("GET", "/v1/pools", null, TOKEN);
        assertThat(JSON.readTree(all.body()).get(0).path("type").asText()).isEqualTo("build");
        assertThat(all.body()).doesNotContain(SECRET);
    }

    @Test
    void aRefreshIsAcceptedAndThePoolComesBackFullyFreshAtTheNewGeneration() throws Exception {
        long before = awaitFresh().path("generation").asLong();
        HttpResponse<String> r = call("POST", "/v1/pools/build/refresh", null, TOKEN);
        assertThat(r.statusCode()).isEqualTo(202);
        long gen = JSON.readTree(r.body()).path("generation").asLong();
        assertThat(gen).isEqualTo(before + 1);
        JsonNode p = awaitFresh();
        assertThat(p.path("generation").asLong()).isEqualTo(gen);
    }

    @Test
    void metricsAreServedInPrometheusFormatWithoutSecrets() throws Exception {
        awaitFresh();
        HttpResponse<String> run = call("POST", "/v1/tasks?wait=true", "{\"type\":\"build\",\"command\":[\"true\"]}", TOKEN);
        assertThat(JSON.readTree(run.body()).path("status").asText()).isEqualTo("succeeded");
        HttpResponse<String> r = call("GET", "/metrics", null, TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        assertThat(r.body())
                .contains("credpool_pool_lease_seconds_bucket{type=\"build\"")
                .contains("credpool_pool_members{state=\"ready\",type=\"build\"}")
                .contains("credpool_pool_cold_starts_total{type=\"build\"}")
                .contains("credpool_pool_discards_total{reason=\"stale_credential\",type=\"build\"}")
                .contains("credpool_tasks_total{outcome=\"succeeded\",type=\"build\"} 1.0")
                .doesNotContain(SECRET).doesNotContain("npm-token");
    }
}
