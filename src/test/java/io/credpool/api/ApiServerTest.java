package io.credpool.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

class ApiServerTest {
    private static final String TOKEN = "test-api-token-123";
    private static final String SECRET = "ghp_apiSecretValue987654321";
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
        home = new TestHome(tmp, """
                task_types:
                  build:
                    credentials: [{name: github-token, env: GITHUB_TOKEN}]
                  agent:
                    credentials: [{name: llm-key, env: LLM_KEY, scope: session}]
                """);
        home.put("github-token", SECRET);
        home.put("llm-key", "sk-llm-session-value");
        orchestrator = home.orchestrator();
        tasks = new TaskService(orchestrator, 100);
        server = new ApiServer(tasks, TOKEN).start("127.0.0.1", 0);
    }

    @AfterEach
    void tearDown() {
        server.close();
        tasks.close();
        orchestrator.close();
        home.close();
    }

    private HttpResponse<String> call(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        return call(method, path, body, TOKEN);
    }

    @Test
    void requestsWithoutATokenGet401WithAStableCode() throws Exception {
        HttpResponse<String> r = call("GET", "/v1/sessions", null, null);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).isEqualTo("{\"error\":{\"code\":\"unauthorized\",\"message\":\"missing bearer token: send"
                + " Authorization: Bearer <token from $CREDPOOL_HOME/api.token>\"}}".replace("{\"code", "{\"code"));
    }

    @Test
    void aWrongTokenGets401() throws Exception {
        HttpResponse<String> r = call("GET", "/v1/sessions", null, "wrong");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(r.body()).at("/error/message").asText()).isEqualTo("invalid bearer token");
    }

    @Test
    void unknownRoutesNeedATokenToo() throws Exception {
        assertThat(call("GET", "/v1/nothing", null, null).statusCode()).isEqualTo(401);
        HttpResponse<String> r = call("GET", "/v1/nothing", null);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(r.body()).at("/error/code").asText()).isEqualTo("not_found");
    }

    @Test
    void healthNeedsNoToken() throws Exception {
        assertThat(call("GET", "/v1/health", null, null).body()).isEqualTo("{\"status\":\"ok\"}");
    }

    @Test
    void anUnknownTaskIs404() throws Exception {
        HttpResponse<String> r = call("GET", "/v1/tasks/t-000", null);
        assertThat(r.statusCode()).isEqualTo(404);
        JsonNode e = JSON.readTree(r.body()).path("error");
        assertThat(e.path("code").asText()).isEqualTo("task_not_found");
        assertThat(e.path("message").asText()).isEqualTo("no task 't-000'");
        assertThat(call("GET", "/v1/tasks/t-000/output", null).statusCode()).isEqualTo(404);
    }

    @Test
    void badJsonIs400() throws Exception {
        HttpResponse<String> r = call("POST", "/v1/tasks", "{not json");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).at("/error/code").asText()).isEqualTo("bad_request");
        assertThat(JSON.readTree(r.body()).at("/error/message").asText()).startsWith("the request body is not valid JSON: ");
        HttpResponse<String> missing = call("POST", "/v1/tasks", "{\"type\":\"build\"}");
        assertThat(JSON.readTree(missing.body()).at("/error/message").asText()).isEqualTo("field 'command' is required: a list of strings");
        HttpResponse<String> wrongType = call("POST", "/v1/tasks", "{\"type\":\"build\",\"command\":\"ls\"}");
        assertThat(JSON.readTree(wrongType.body()).at("/error/message").asText()).isEqualTo("field 'command' must be a list of strings");
    }

    @Test
    void aRefusedTaskIs422WithItsReasonCode() throws Exception {
        HttpResponse<String> r = call("POST", "/v1/tasks", "{\"type\":\"nightly\",\"command\":[\"true\"]}");
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(JSON.readTree(r.body()).at("/error/code").asText()).isEqualTo("unknown_task_type");
    }

    @Test
    void aTaskRunsAndItsOutputIsRedacted() throws Exception {
        Sandboxing.requireBubblewrap();
        HttpResponse<String> r = call("POST", "/v1/tasks?wait=true",
                "{\"type\":\"build\",\"command\":[\"sh\",\"-c\",\"echo $GITHUB_TOKEN; exit 4\"]}");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode task = JSON.readTree(r.body());
        assertThat(task.path("status").asText()).isEqualTo("failed");
        assertThat(task.path("exitCode").asInt()).isEqualTo(4);
        assertThat(task.at("/credentials/0/version").asText()).isEqualTo("v1");
        assertThat(r.body()).doesNotContain(SECRET);
        HttpResponse<String> out = call("GET", "/v1/tasks/" + task.path("id").asText() + "/output", null);
        assertThat(JSON.readTree(out.body()).path("stdout").asText()).isEqualTo("***github-token***\n");
        assertThat(out.body()).doesNotContain(SECRET);
        assertThat(JSON.readTree(call("GET", "/v1/tasks/" + task.path("id").asText(), null).body()).path("status").asText())
                .isEqualTo("failed");
    }

    @Test
    void sessionsOpenRunAndClose() throws Exception {
        Sandboxing.requireBubblewrap();
        HttpResponse<String> open = call("POST", "/v1/sessions", "{\"type\":\"agent\"}");
        assertThat(open.statusCode()).isEqualTo(201);
        String id = JSON.readTree(open.body()).path("id").asText();
        assertThat(JSON.readTree(call("GET", "/v1/sessions", null).body()).get(0).path("id").asText()).isEqualTo(id);
        HttpResponse<String> run = call("POST", "/v1/tasks?wait=true",
                "{\"type\":\"agent\",\"session\":\"" + id + "\",\"command\":[\"sh\",\"-c\",\"test -n \\\"$LLM_KEY\\\"\"]}");
        assertThat(JSON.readTree(run.body()).path("status").asText()).isEqualTo("succeeded");
        assertThat(call("DELETE", "/v1/sessions/" + id, null).statusCode()).isEqualTo(204);
        HttpResponse<String> again = call("DELETE", "/v1/sessions/" + id, null);
        assertThat(again.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(again.body()).at("/error/code").asText()).isEqualTo("session_not_found");
    }
}
