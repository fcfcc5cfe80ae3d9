package io.credpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.credpool.issuer.ManualIssuer;
import io.credpool.metrics.Metrics;
import io.credpool.rotation.RotationService;
import io.credpool.task.Orchestrator;
import io.credpool.task.TaskService;
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

/** /v1/rotations: start in the background and follow, in-progress conflicts, errors with codes; never a value. */
class ApiRotationsTest {
    private static final String TOKEN = "test-api-token-789";
    private static final String VALUE = "manual-api-old-value-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    TestHome home;
    Orchestrator orchestrator;
    TaskService tasks;
    RotationService rotations;
    ApiServer server;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void setUp() throws Exception {
        home = new TestHome(tmp, """
                credentials:
                  api-key:
                    issuer: {kind: manual}
                    rotation: {every: 30d, grace: 0s}
                task_types:
                  use:
                    credentials: [{name: api-key, env: API_KEY}]
                """);
        home.put("api-key", VALUE);
        Metrics metrics = new Metrics();
        orchestrator = home.credpool().serverOrchestrator(null, metrics.registry());
        tasks = new TaskService(orchestrator, 100);
        rotations = home.credpool().rotations(orchestrator, true, (credential, value) -> true);
        server = new ApiServer(tasks, TOKEN, metrics, rotations).start("127.0.0.1", 0);
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
            rotations.close();
            tasks.close();
            orchestrator.close();
        }
        if (home != null) {
            home.close();
        }
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TOKEN);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRotationStartedOverHttpRunsInTheBackgroundToDone() throws Exception {
        HttpResponse<String> started = call("POST", "/v1/rotations", "{\"credential\": \"api-key\"}");
        assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
        String id = JSON.readTree(started.body()).path("id").asText();
        JsonNode r = null;
        for (int i = 0; i < 2000; i++) {
            r = JSON.readTree(call("GET", "/v1/rotations/" + id, null).body());
            if (!r.path("status").asText().equals("running")) {
                break;
            }
            Thread.sleep(10);
        }
        assertThat(r.path("status").asText()).as(r.toString()).isEqualTo("done");
        assertThat(r.path("oldVersion").asText()).isEqualTo("v1");
        assertThat(r.path("newVersion").asText()).isEqualTo("v2");
        assertThat(r.path("confirmation").asText()).startsWith("confirmed:");
        HttpResponse<String> list = call("GET", "/v1/rotations", null);
        assertThat(JSON.readTree(list.body())).hasSize(1);
        assertThat(list.body() + r).doesNotContain(VALUE);
    }

    @Test
    void errorsHaveCodesAndSayWhatToDo() throws Exception {
        HttpResponse<String> unknown = call("POST", "/v1/rotations", "{\"credential\": \"nope\"}");
        assertThat(unknown.statusCode()).isEqualTo(422);
        assertThat(JSON.readTree(unknown.body()).path("error").path("code").asText()).isEqualTo("rotation_refused");
        assertThat(call("GET", "/v1/rotations/r-nope", null).statusCode()).isEqualTo(404);
        assertThat(call("POST", "/v1/rotations", "{}").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/v1/rotations", "{\"credential\": \"api-key\", \"action\": \"sideways\"}").statusCode()).isEqualTo(400);

        String id = home.credpool().rotationJournal().begin("api-key", "manual", java.util.Optional.of("v1")).id();
        HttpResponse<String> conflict = call("POST", "/v1/rotations", "{\"credential\": \"api-key\"}");
        assertThat(conflict.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(conflict.body()).path("error").path("message").asText())
                .startsWith("rotation of 'api-key' is already in progress (id " + id + ", step not started)");
    }
}
