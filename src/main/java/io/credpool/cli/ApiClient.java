package io.credpool.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.credpool.app.CredpoolHome;
import io.credpool.config.Scope;
import io.credpool.task.ReceivedCredential;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskResult;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The CLI's side of the HTTP API, for when a `credpool server` is running. */
final class ApiClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String url;
    private final String token;

    ApiClient(String url, String token) {
        this.url = url;
        this.token = token;
    }

    /** The running server of this home, if its server.json points at one that answers. */
    static Optional<ApiClient> find(CredpoolHome home) {
        try {
            if (!Files.exists(home.serverFile()) || !Files.exists(home.apiToken())) {
                return Optional.empty();
            }
            JsonNode info = Json.MAPPER.readTree(home.serverFile().toFile());
            ApiClient c = new ApiClient(info.path("url").asText(), Files.readString(home.apiToken(), StandardCharsets.US_ASCII).trim());
            HttpResponse<String> r = c.http.send(HttpRequest.newBuilder(URI.create(c.url + "/v1/health"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Optional.of(c) : Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Runs a task on the server, waits for it, prints its redacted output. */
    TaskResult runTask(TaskRequest request, PrintStream out, PrintStream err) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", request.taskType());
        body.put("command", request.command());
        request.workspace().ifPresent(w -> body.put("workspace", w.toString()));
        request.sessionId().ifPresent(s -> body.put("session", s));
        request.only().ifPresent(o -> body.put("credentials", o));
        JsonNode task = call("POST", "/v1/tasks?wait=true", body);
        JsonNode output = call("GET", "/v1/tasks/" + task.path("id").asText() + "/output", null);
        out.print(output.path("stdout").asText());
        out.flush();
        err.print(output.path("stderr").asText());
        err.flush();
        if (task.path("status").asText().equals("error")) {
            throw new ApiException("task " + task.path("id").asText() + " failed: " + task.path("error").asText());
        }
        List<ReceivedCredential> received = new ArrayList<>();
        for (JsonNode c : task.path("credentials")) {
            received.add(new ReceivedCredential(c.path("name").asText(), c.path("version").asText(), c.path("env").asText(),
                    Scope.valueOf(c.path("scope").asText())));
        }
        return new TaskResult(task.path("id").asText(), task.path("type").asText(), task.path("sandbox").asText(),
                task.path("exitCode").asInt(), task.path("timedOut").asBoolean(), Duration.ofMillis(task.path("elapsedMs").asLong()),
                received);
    }

    JsonNode call(String method, String path, Object body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + path))
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json");
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(body)));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode n = r.body().isEmpty() ? Json.MAPPER.createObjectNode() : Json.MAPPER.readTree(r.body());
            if (r.statusCode() >= 400) {
                JsonNode e = n.path("error");
                String message = e.path("message").asText("HTTP " + r.statusCode());
                if (e.path("code").asText().equals("unauthorized")) {
                    throw new ApiException("the server refused this CLI's token: " + message);
                }
                throw r.statusCode() == 422 ? new ApiException("refused: " + message) : new ApiException(message);
            }
            return n;
        } catch (IOException e) {
            throw new ApiException("cannot reach the credpool server at " + url + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException("interrupted while talking to the credpool server");
        }
    }

    /** The server answered with an error, or could not be reached. */
    static final class ApiException extends RuntimeException {
        ApiException(String message) {
            super(message);
        }
    }
}
