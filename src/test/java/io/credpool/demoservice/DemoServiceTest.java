package io.credpool.demoservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DemoServiceTest {
    private static final String ADMIN = "demo-service-admin-token";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static DemoService service;

    @BeforeAll
    static void start() {
        service = new DemoService(ADMIN).start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void theSameIdempotencyKeyReturnsTheSameKeyWith200AfterA201() throws Exception {
        HttpResponse<String> first = post("idem-1", ADMIN);
        HttpResponse<String> again = post("idem-1", ADMIN);
        HttpResponse<String> other = post("idem-2", ADMIN);

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(key(other)).isNotEqualTo(key(first));
        assertThat(check(key(first)).statusCode()).isEqualTo(200);
    }

    @Test
    void issuingNeedsTheAdminTokenAndAnIdempotencyKey() throws Exception {
        assertThat(post("idem-3", "not-the-admin").statusCode()).isEqualTo(401);
        HttpResponse<String> noIdem = HTTP.send(HttpRequest.newBuilder(uri("/keys")).header("Authorization", "Bearer " + ADMIN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noIdem.statusCode()).isEqualTo(400);
        assertThat(noIdem.body()).contains("Idempotency-Key is required");
    }

    @Test
    void aKeyRevokedByIdIsRefusedWith401() throws Exception {
        HttpResponse<String> issued = post("idem-4", ADMIN);
        String id = issued.body().replaceAll(".*\"id\":\"([^\"]+)\".*", "$1");

        assertThat(delete("/keys/" + id, "not-the-admin").statusCode()).isEqualTo(401);
        assertThat(check(key(issued)).statusCode()).isEqualTo(200);
        assertThat(delete("/keys/" + id, ADMIN).statusCode()).isEqualTo(204);
        assertThat(delete("/keys/" + id, ADMIN).statusCode()).isEqualTo(204);
        assertThat(check(key(issued)).statusCode()).isEqualTo(401);
        assertThat(delete("/keys/key_unknown", ADMIN).statusCode()).isEqualTo(404);
    }

    @Test
    void aKeyRevokedByItsHashIsRefusedWith401() throws Exception {
        String key = key(post("idem-5", ADMIN));

        assertThat(delete("/keys/by-hash/" + ApiKeyStore.sha256(key), ADMIN).statusCode()).isEqualTo(204);
        assertThat(check(key).statusCode()).isEqualTo(401);
        assertThat(check("cpk_forged").statusCode()).isEqualTo(401);
    }

    private static HttpResponse<String> post(String idem, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri("/keys")).header("Authorization", "Bearer " + token)
                .header("Idempotency-Key", idem).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> check(String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri("/check")).header("Authorization", "Bearer " + key).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> delete(String path, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + token).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String key(HttpResponse<String> r) {
        return r.body().replaceAll(".*\"key\":\"([^\"]+)\".*", "$1");
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + service.port() + path);
    }
}
