package io.credpool.secrets.http;

import io.credpool.secrets.ProviderUnavailableException;
import io.credpool.secrets.RetryPolicy;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends requests to one remote secrets manager with the JDK client, retrying throttling, server
 * errors and broken connections with jittered backoff. The last answer is returned whatever its
 * status, so that the adapter can say in its own words what the service refused.
 */
public final class RetryingHttp {
    private static final Logger log = LoggerFactory.getLogger(RetryingHttp.class);

    private final String service;
    private final HttpClient client;
    private final RetryPolicy policy;
    private final Predicate<HttpReply> retryable;
    private final RandomGenerator random;
    private final Sleeper sleeper;

    /** Pauses between attempts; tests pass one that records instead of sleeping. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    public RetryingHttp(String service, HttpClient client, RetryPolicy policy, Predicate<HttpReply> retryable,
            RandomGenerator random, Sleeper sleeper) {
        this.service = service;
        this.client = client;
        this.policy = policy;
        this.retryable = retryable;
        this.random = random;
        this.sleeper = sleeper;
    }

    /** 429 and the 5xx statuses that mean "try again": the usual retry rule. */
    public static boolean throttledOrServerError(HttpReply r) {
        return r.status() == 429 || r.status() == 500 || r.status() == 502 || r.status() == 503 || r.status() == 504;
    }

    public RetryPolicy policy() {
        return policy;
    }

    /**
     * Sends {@code request}, retrying per the policy.
     *
     * @param credential named in the error if the service cannot be reached at all
     * @throws ProviderUnavailableException when every attempt failed to get any answer
     */
    public HttpReply send(HttpRequest request, String credential) {
        IOException lastError = null;
        for (int attempt = 1; ; attempt++) {
            Duration wait;
            try {
                HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                HttpReply reply = new HttpReply(r.statusCode(), r.body() == null ? new byte[0] : r.body(), r.headers());
                if (attempt >= policy.maxAttempts() || !retryable.test(reply)) {
                    return reply;
                }
                log.info("{} answered {} {} with HTTP {} (attempt {} of {}); retrying", service, request.method(),
                        request.uri().getPath(), reply.status(), attempt, policy.maxAttempts());
                reply.wipe();
                // Retry-After, when the service sends one, is a better guess than ours.
                Duration after = retryAfter(reply);
                wait = after != null ? after : policy.delayBefore(attempt, random);
            } catch (IOException e) {
                lastError = e;
                log.info("{} {} {} failed (attempt {} of {}): {}", service, request.method(), request.uri().getPath(),
                        attempt, policy.maxAttempts(), e.toString());
                if (attempt >= policy.maxAttempts()) {
                    break;
                }
                wait = policy.delayBefore(attempt, random);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProviderUnavailableException(credential, "interrupted while talking to " + service, e);
            }
            sleep(wait, credential);
        }
        throw new ProviderUnavailableException(credential, "cannot reach " + service + " at " + request.uri().getScheme()
                + "://" + request.uri().getAuthority() + " for credential '" + credential + "' after " + policy.maxAttempts()
                + " attempts (" + describe(lastError) + "); check that it is up and the address is right", lastError);
    }

    private void sleep(Duration d, String credential) {
        try {
            sleeper.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ProviderUnavailableException(credential, "interrupted while waiting to retry " + service, e);
        }
    }

    private Duration retryAfter(HttpReply reply) {
        return reply.header("Retry-After").map(v -> {
            try {
                long s = Long.parseLong(v.trim());
                Duration d = Duration.ofSeconds(Math.max(0, s));
                return d.compareTo(policy.maxDelay()) > 0 ? policy.maxDelay() : d;
            } catch (NumberFormatException e) {
                return null;
            }
        }).orElse(null);
    }

    private static String describe(IOException e) {
        if (e == null) {
            return "no answer";
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }
}
