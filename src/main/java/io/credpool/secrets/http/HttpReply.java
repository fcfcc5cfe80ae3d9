package io.credpool.secrets.http;

import java.net.http.HttpHeaders;
import java.util.Arrays;
import java.util.Optional;

/**
 * One HTTP answer from a secrets manager. The body may hold a secret value: it is never printed,
 * and {@link #wipe()} zeroes it once parsed.
 */
public record HttpReply(int status, byte[] body, HttpHeaders headers) {
    public Optional<String> header(String name) {
        return headers.firstValue(name);
    }

    public boolean isSuccess() {
        return status >= 200 && status < 300;
    }

    public void wipe() {
        Arrays.fill(body, (byte) 0);
    }

    @Override
    public String toString() {
        return "HttpReply[status=" + status + ", " + body.length + " bytes]";
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
