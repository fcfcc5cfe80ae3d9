package io.credpool.secrets.aws;

import io.credpool.secrets.Label;
import io.credpool.secrets.ProviderUnavailableException;
import io.credpool.secrets.RetryPolicy;
import io.credpool.secrets.SecretNotFoundException;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.SecretsProvider;
import io.credpool.secrets.VersionConflictException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClientBuilder;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.Filter;
import software.amazon.awssdk.services.secretsmanager.model.FilterNameStringType;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.ListSecretVersionIdsResponse;
import software.amazon.awssdk.services.secretsmanager.model.ListSecretsResponse;
import software.amazon.awssdk.services.secretsmanager.model.PutSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.PutSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretListEntry;
import software.amazon.awssdk.services.secretsmanager.model.SecretVersionsListEntry;

/**
 * Credentials in AWS Secrets Manager, through the AWS SDK for Java v2.
 *
 * <p>Each credential is the secret named {@code name_prefix + name}. Secrets Manager's own
 * staging labels are credpool's labels: AWSCURRENT is current, AWSPENDING pending, AWSPREVIOUS
 * previous; its VersionIds are credpool's version ids. Writes carry a ClientRequestToken, so a
 * retried write never makes two versions. Secrets Manager has no compare-and-set: an expected
 * current version is checked with DescribeSecret just before the write, which narrows but does
 * not close the window for a writer outside credpool.
 *
 * <p>The SDK's standard retry strategy does the retrying (jittered exponential backoff on
 * throttling, 5xx and connection errors); credentials come from the default provider chain
 * (environment, profile, SSO, container or instance role).
 */
public final class AwsSecretsManagerProvider implements SecretsProvider {
    private static final String AWSCURRENT = "AWSCURRENT";
    private static final String AWSPENDING = "AWSPENDING";
    private static final String AWSPREVIOUS = "AWSPREVIOUS";

    /**
     * @param name the provider's name in credpool.yaml, for messages
     * @param endpoint overrides the regional endpoint (a VPC endpoint, or a test server)
     * @param namePrefix prepended to each credential name to form the secret's name
     */
    public record Settings(String name, String region, Optional<URI> endpoint, String namePrefix, RetryPolicy retry,
            Duration requestTimeout) {
    }

    private final Settings settings;
    private final SecretsManagerClient client;

    public AwsSecretsManagerProvider(Settings settings, AwsCredentialsProvider credentials) {
        this.settings = settings;
        RetryPolicy r = settings.retry();
        SecretsManagerClientBuilder b = SecretsManagerClient.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(settings.requestTimeout())
                        .socketTimeout(settings.requestTimeout()))
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(r.maxAttempts())
                        .backoffStrategy(BackoffStrategy.exponentialDelayHalfJitter(r.baseDelay(), r.maxDelay()))
                        .throttlingBackoffStrategy(BackoffStrategy.exponentialDelayHalfJitter(r.baseDelay(), r.maxDelay()))
                        // The circuit breaker would fail later task starts fast after a burst of
                        // throttling; credpool refuses them itself with a clearer message.
                        .circuitBreakerEnabled(false)
                        .build()));
        settings.endpoint().ifPresent(b::endpointOverride);
        this.client = b.build();
    }

    /** A provider with the SDK's default credential provider chain. */
    public static AwsSecretsManagerProvider create(Settings settings) {
        return new AwsSecretsManagerProvider(settings, DefaultCredentialsProvider.builder().build());
    }

    @Override
    public String kind() {
        return "aws";
    }

    @Override
    public SecretValue current(String name) {
        GetSecretValueResponse r = call(name, "GetSecretValue", () -> client.getSecretValue(b -> b.secretId(id(name)).versionStage(AWSCURRENT)));
        return value(name, r);
    }

    @Override
    public SecretValue version(String name, String versionId) {
        GetSecretValueResponse r = call(name, "GetSecretValue", () -> client.getSecretValue(b -> b.secretId(id(name)).versionId(versionId)));
        return value(name, r);
    }

    @Override
    public Optional<String> currentVersionId(String name) {
        try {
            return currentOf(describe(name));
        } catch (SecretNotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<SecretVersion> versions(String name) {
        List<SecretVersion> out = new ArrayList<>();
        String token = null;
        do {
            String next = token;
            ListSecretVersionIdsResponse r = call(name, "ListSecretVersionIds",
                    () -> client.listSecretVersionIds(b -> b.secretId(id(name)).includeDeprecated(false).nextToken(next)));
            for (SecretVersionsListEntry v : r.versions()) {
                out.add(new SecretVersion(name, v.versionId(), labels(v.versionStages()),
                        v.createdDate() == null ? Instant.EPOCH : v.createdDate()));
            }
            token = r.nextToken();
        } while (token != null);
        out.sort(Comparator.comparing(SecretVersion::created).reversed());
        return out;
    }

    @Override
    public List<SecretVersion> list() {
        List<SecretVersion> out = new ArrayList<>();
        String token = null;
        do {
            String next = token;
            ListSecretsResponse r = call(null, "ListSecrets", () -> client.listSecrets(b -> {
                b.nextToken(next);
                if (!settings.namePrefix().isEmpty()) {
                    b.filters(Filter.builder().key(FilterNameStringType.NAME).values(settings.namePrefix()).build());
                }
            }));
            for (SecretListEntry s : r.secretList()) {
                if (s.name() != null && s.name().startsWith(settings.namePrefix())) {
                    String name = s.name().substring(settings.namePrefix().length());
                    if (name.matches("[a-z0-9][a-z0-9._-]{0,127}")) {
                        try {
                            out.addAll(versions(name));
                        } catch (SecretNotFoundException e) {
                            // Deleted between the listing and now.
                        }
                    }
                }
            }
            token = r.nextToken();
        } while (token != null);
        out.sort(Comparator.comparing(SecretVersion::name));
        return out;
    }

    @Override
    public SecretVersion put(String name, byte[] value, Label label, Optional<String> expectedCurrent) {
        boolean exists = true;
        if (expectedCurrent.isPresent()) {
            String actual;
            try {
                actual = currentOf(describe(name)).orElse("");
            } catch (SecretNotFoundException e) {
                actual = "";
                exists = false;
            }
            if (!expectedCurrent.get().equals(actual)) {
                throw new VersionConflictException(name, expectedCurrent.get().isEmpty() ? null : expectedCurrent.get(),
                        actual.isEmpty() ? null : actual);
            }
        }
        // One token for this write, reused by every retry: Secrets Manager then makes one version.
        String requestToken = UUID.randomUUID().toString();
        PutSecretValueRequest.Builder req = PutSecretValueRequest.builder().secretId(id(name)).clientRequestToken(requestToken)
                .versionStages(stage(label));
        String text = utf8OrNull(value);
        if (text != null) {
            req.secretString(text);
        } else {
            req.secretBinary(SdkBytes.fromByteArray(value));
        }
        PutSecretValueRequest request = req.build();
        PutSecretValueResponse r;
        try {
            if (!exists) {
                throw ResourceNotFoundException.builder().build();
            }
            r = client.putSecretValue(request);
        } catch (ResourceNotFoundException e) {
            // A new credential: create the secret without a value, then write the version as asked,
            // so that a first pending write is not made current.
            call(name, "CreateSecret", () -> client.createSecret(b -> b.name(id(name))
                    .description("credpool credential " + name)));
            r = call(name, "PutSecretValue", () -> client.putSecretValue(request));
        } catch (SdkException e) {
            throw mapped(name, "PutSecretValue", e);
        }
        return new SecretVersion(name, r.versionId(), labels(r.versionStages()).isEmpty() ? Set.of(label) : labels(r.versionStages()),
                Instant.now());
    }

    @Override
    public SecretVersion promote(String name, String versionId, Optional<String> expectedCurrent) {
        DescribeSecretResponse d = describe(name);
        String actual = currentOf(d).orElse("");
        if (expectedCurrent.isPresent() && !expectedCurrent.get().equals(actual)) {
            throw new VersionConflictException(name, expectedCurrent.get().isEmpty() ? null : expectedCurrent.get(),
                    actual.isEmpty() ? null : actual);
        }
        Map<String, List<String>> stages = d.versionIdsToStages();
        if (!stages.containsKey(versionId)) {
            throw new SecretNotFoundException(name, "AWS Secrets Manager (provider '" + settings.name() + "') has no version '"
                    + versionId + "' of secret '" + id(name) + "' for credential '" + name + "'; see its versions with"
                    + " `aws secretsmanager list-secret-version-ids --secret-id " + id(name) + "`");
        }
        if (!versionId.equals(actual)) {
            // Moving AWSCURRENT makes Secrets Manager move AWSPREVIOUS to the old current by itself.
            call(name, "UpdateSecretVersionStage", () -> client.updateSecretVersionStage(b -> {
                b.secretId(id(name)).versionStage(AWSCURRENT).moveToVersionId(versionId);
                if (!actual.isEmpty()) {
                    b.removeFromVersionId(actual);
                }
            }));
        }
        if (stages.get(versionId).contains(AWSPENDING)) {
            call(name, "UpdateSecretVersionStage", () -> client.updateSecretVersionStage(b -> b.secretId(id(name))
                    .versionStage(AWSPENDING).removeFromVersionId(versionId)));
        }
        return new SecretVersion(name, versionId, Set.of(Label.CURRENT), Instant.now());
    }

    @Override
    public void close() {
        client.close();
    }

    private DescribeSecretResponse describe(String name) {
        return call(name, "DescribeSecret", () -> client.describeSecret(b -> b.secretId(id(name))));
    }

    private static Optional<String> currentOf(DescribeSecretResponse d) {
        return d.versionIdsToStages().entrySet().stream().filter(e -> e.getValue().contains(AWSCURRENT))
                .map(Map.Entry::getKey).findFirst();
    }

    private SecretValue value(String name, GetSecretValueResponse r) {
        byte[] b;
        if (r.secretString() != null) {
            b = r.secretString().getBytes(StandardCharsets.UTF_8);
        } else if (r.secretBinary() != null) {
            b = r.secretBinary().asByteArray();
        } else {
            throw new SecretNotFoundException(name, "AWS Secrets Manager (provider '" + settings.name() + "') returned secret '"
                    + id(name) + "' for credential '" + name + "' without SecretString or SecretBinary");
        }
        try {
            return SecretValue.of(name, r.versionId(), b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    private <T> T call(String name, String op, Supplier<T> action) {
        try {
            return action.get();
        } catch (SdkException e) {
            throw mapped(name, op, e);
        }
    }

    /** An AWS error in words a person can act on; the SDK's own text is kept only where AWS wrote it. */
    private RuntimeException mapped(String name, String op, SdkException e) {
        String prefix = "AWS Secrets Manager (provider '" + settings.name() + "', region " + settings.region() + ") ";
        String subject = name == null ? "" : " on secret '" + id(name) + "' for credential '" + name + "'";
        if (e instanceof AwsServiceException ase && ase.awsErrorDetails() != null) {
            String code = String.valueOf(ase.awsErrorDetails().errorCode());
            String said = ase.awsErrorDetails().errorMessage();
            String quoted = said == null || said.isBlank() ? "" : ": " + (said.length() > 300 ? said.substring(0, 300) + "…" : said);
            int status = ase.statusCode();
            return switch (code) {
                case "ResourceNotFoundException" -> new SecretNotFoundException(name, "credential '" + name
                        + "' is not in AWS Secrets Manager (provider '" + settings.name() + "'): no secret '" + id(name)
                        + "' (or no such version) in " + settings.region() + "; create it with"
                        + " `aws secretsmanager create-secret --name " + id(name) + " --secret-string ...`");
                case "AccessDeniedException" -> new ProviderUnavailableException(name, prefix + "denied " + op + subject
                        + " (AccessDeniedException" + quoted + "); grant the IAM principal secretsmanager:" + op + " on it", null);
                case "ExpiredTokenException", "ExpiredToken", "UnrecognizedClientException", "InvalidSignatureException",
                        "IncompleteSignature", "InvalidClientTokenId", "MissingAuthenticationToken" ->
                        new ProviderUnavailableException(name, prefix + "rejected credpool's AWS credentials for " + op + subject
                                + " (" + code + quoted + "): they are expired or invalid; refresh them"
                                + " (e.g. `aws sso login`, new access keys, or the instance role)", null);
                case "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "LimitExceededException" ->
                        new ProviderUnavailableException(name, prefix + "kept throttling " + op + subject + " (" + code + ") through "
                                + settings.retry().maxAttempts() + " attempts; try again later", null);
                case "DecryptionFailure" -> new ProviderUnavailableException(name, prefix + "cannot decrypt" + subject
                        + " (DecryptionFailure" + quoted + "); the principal needs kms:Decrypt on the secret's KMS key", null);
                default -> new ProviderUnavailableException(name, prefix + (status >= 500 ? "failed " : "refused ") + op + subject
                        + " (" + (ase.awsErrorDetails().errorCode() == null ? "" : code + ", ") + "HTTP " + status + quoted + ")"
                        + (status >= 500 ? " through " + settings.retry().maxAttempts() + " attempts" : ""), null);
            };
        }
        if (e instanceof SdkClientException) {
            Throwable io = e;
            Throwable parse = null;
            while (io != null && !(io instanceof IOException)) {
                io = io.getCause();
            }
            if (io != null && io.getClass().getName().contains("jackson")) {
                // A JSON parse error is an IOException too, but its message may quote the body.
                parse = io;
                io = null;
            }
            if (parse != null) {
                return new ProviderUnavailableException(name, prefix + "answered " + op + subject + " with something the SDK"
                        + " cannot use (" + parse.getClass().getSimpleName() + ", after " + settings.retry().maxAttempts()
                        + " attempts); check that `endpoint`, if set, points at Secrets Manager", null);
            }
            if (io != null) {
                return new ProviderUnavailableException(name, prefix + "cannot be reached for " + op + subject + " at "
                        + settings.endpoint().map(URI::toString).orElse("its regional endpoint") + " after "
                        + settings.retry().maxAttempts() + " attempts (" + io.getClass().getSimpleName()
                        + (io.getMessage() == null ? "" : ": " + io.getMessage()) + ")", null);
            }
            if (e.getMessage() != null && e.getMessage().contains("credentials")) {
                // "Unable to load credentials from any of the providers in the chain": it names no value.
                return new ProviderUnavailableException(name, prefix + "has no AWS credentials for " + op + subject
                        + ": set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run on a host with a role", null);
            }
        }
        // The SDK's message for an answer it could not parse may quote the body: give only its type.
        return new ProviderUnavailableException(name, prefix + "answered " + op + subject + " with something the SDK cannot use ("
                + e.getClass().getSimpleName() + "); check that `endpoint`, if set, points at Secrets Manager", null);
    }

    private String id(String name) {
        return settings.namePrefix() + name;
    }

    private static String stage(Label label) {
        return switch (label) {
            case CURRENT -> AWSCURRENT;
            case PENDING -> AWSPENDING;
            case PREVIOUS -> AWSPREVIOUS;
        };
    }

    private static Set<Label> labels(List<String> stages) {
        Set<Label> out = EnumSet.noneOf(Label.class);
        for (String s : stages) {
            switch (s) {
                case AWSCURRENT -> out.add(Label.CURRENT);
                case AWSPENDING -> out.add(Label.PENDING);
                case AWSPREVIOUS -> out.add(Label.PREVIOUS);
                default -> {
                    // Custom staging labels mean nothing to credpool.
                }
            }
        }
        return out;
    }

    private static String utf8OrNull(byte[] value) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
