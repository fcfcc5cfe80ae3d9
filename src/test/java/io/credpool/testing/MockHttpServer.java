package io.credpool.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A loopback HTTP server that stands in for a secrets manager no test can run here (Vault, AWS,
 * GitHub): it records every request exactly as sent and answers with scripted responses, copied
 * from the services' API documentation.
 */
public final class MockHttpServer implements AutoCloseable {
    /** One request as received: method, path with query, headers (lower-case names), body. */
    public record Request(String method, String pathAndQuery, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One scripted answer. */
    public record Reply(int status, String body, Map<String, String> headers) {
        public static Reply json(int status, String body) {
            return new Reply(status, body, Map.of("Content-Type", "application/json"));
        }

        public Reply withHeader(String name, String value) {
            Map<String, String> h = new TreeMap<>(headers);
            h.put(name, value);
            return new Reply(status, body, h);
        }
    }

    private final HttpServer server;
    private final List<Request> requests = new ArrayList<>();
    private final Deque<Reply> script = new ArrayDeque<>();
    private Function<Request, Reply> fallback = r -> Reply.json(500, "{\"errors\":[\"no scripted reply for " + r.method() + " "
            + r.pathAndQuery() + "\"]}");

    public MockHttpServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Answers the next requests in order with these replies. */
    public synchronized MockHttpServer then(Reply... replies) {
        script.addAll(List.of(replies));
        return this;
    }

    /** Answers requests beyond the script. */
    public synchronized MockHttpServer otherwise(Function<Request, Reply> f) {
        this.fallback = f;
        return this;
    }

    public synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    public synchronized Request last() {
        return requests.get(requests.size() - 1);
    }

    private void handle(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        Map<String, String> headers = new TreeMap<>();
        ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), String.join(",", v)));
        String pq = ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
        Request req = new Request(ex.getRequestMethod(), pq, headers, body);
        Reply reply;
        synchronized (this) {
            requests.add(req);
            reply = script.isEmpty() ? fallback.apply(req) : script.poll();
        }
        reply.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
        byte[] out = reply.body().getBytes(StandardCharsets.UTF_8);
        if (out.length == 0) {
            ex.sendResponseHeaders(reply.status(), -1);
        } else {
            ex.sendResponseHeaders(reply.status(), out.length);
            ex.getResponseBody().write(out);
        }
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
