package io.credpool.secrets.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.credpool.secrets.Label;
import io.credpool.secrets.ProviderUnavailableException;
import io.credpool.secrets.RetryPolicy;
import io.credpool.secrets.SecretNotFoundException;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.VersionConflictException;
import io.credpool.testing.LogCapture;
import io.credpool.testing.MockHttpServer;
import io.credpool.testing.MockHttpServer.Reply;
import io.credpool.testing.MockHttpServer.Request;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/** AWS Secrets Manager through the real SDK against a server that answers in the awsJson1_1 protocol. */
class AwsSecretsManagerProviderTest {
    private static final String VALUE = "aws-Db-s3cret-value";
    private static final String V1 = "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1";
    private static final String V2 = "EXAMPLE2-90ab-cdef-fedc-ba987SECRET2";
    private static final String ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:credpool/db-password-a1b2c3";
    private static final ObjectMapper JSON = new ObjectMapper();

    MockHttpServer aws;
    LogCapture logs;
    List<String> messages = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        aws = new MockHttpServer();
        logs = new LogCapture();
    }

    @AfterEach
    void tearDown() {
        aws.close();
        assertThat(logs.text()).doesNotContain(VALUE);
        assertThat(String.join("\n", messages)).doesNotContain(VALUE);
        logs.close();
    }

    private AwsSecretsManagerProvider provider(URI endpoint) {
        var settings = new AwsSecretsManagerProvider.Settings("aws-prod", "eu-west-1", Optional.of(endpoint), "credpool/",
                new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(5)), Duration.ofSeconds(5));
        return new AwsSecretsManagerProvider(settings,
                StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG")));
    }

    private AwsSecretsManagerProvider provider() {
        return provider(aws.uri());
    }

    private static Reply ok(String body) {
        return new Reply(200, body, Map.of("Content-Type", "application/x-amz-json-1.1", "x-amzn-RequestId", "req-1"));
    }

    private static Reply error(int status, String type, String message) {
        return new Reply(status, "{\"__type\":\"" + type + "\",\"Message\":\"" + message + "\"}",
                Map.of("Content-Type", "application/x-amz-json-1.1", "x-amzn-RequestId", "req-2"));
    }

    private static Reply secretValue(String versionId, String stage) {
        return ok("{\"ARN\":\"" + ARN + "\",\"CreatedDate\":1.523477145713E9,\"Name\":\"credpool/db-password\","
                + "\"SecretString\":\"" + VALUE + "\",\"VersionId\":\"" + versionId + "\",\"VersionStages\":[\"" + stage + "\"]}");
    }

    private static Reply describe(String current, String pending) {
        return ok("{\"ARN\":\"" + ARN + "\",\"Name\":\"credpool/db-password\",\"VersionIdsToStages\":{\"" + current
                + "\":[\"AWSCURRENT\"]" + (pending == null ? "" : ",\"" + pending + "\":[\"AWSPENDING\"]") + "}}");
    }

    private static JsonNode body(Request r) throws Exception {
        return JSON.readTree(r.body());
    }

    private <T extends Throwable> T failure(Class<T> type, Runnable r) {
        try {
            r.run();
        } catch (Throwable t) {
            messages.add(t.getMessage());
            assertThat(t).isInstanceOf(type);
            return type.cast(t);
        }
        throw new AssertionError("expected " + type.getSimpleName());
    }

    @Test
    void currentIsGetSecretValueByStageAwscurrentSignedWithSigV4() throws Exception {
        aws.then(secretValue(V1, "AWSCURRENT"));
        try (var p = provider()) {
            SecretValue v = p.current("db-password");
            assertThat(v.version()).isEqualTo(V1);
            assertThat(new String(v.bytes(), StandardCharsets.UTF_8)).isEqualTo(VALUE);
        }
        Request r = aws.last();
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.pathAndQuery()).isEqualTo("/");
        assertThat(r.header("X-Amz-Target")).isEqualTo("secretsmanager.GetSecretValue");
        assertThat(r.header("Content-Type")).isEqualTo("application/x-amz-json-1.1");
        assertThat(r.header("Authorization")).startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
                .contains("/eu-west-1/secretsmanager/aws4_request").contains("SignedHeaders=").contains("Signature=");
        assertThat(r.header("X-Amz-Date")).isNotNull();
        assertThat(body(r)).isEqualTo(JSON.readTree("{\"SecretId\":\"credpool/db-password\",\"VersionStage\":\"AWSCURRENT\"}"));
    }

    @Test
    void aGivenVersionIsGetSecretValueByVersionId() throws Exception {
        aws.then(secretValue(V2, "AWSPENDING"));
        try (var p = provider()) {
            assertThat(p.version("db-password", V2).version()).isEqualTo(V2);
        }
        assertThat(body(aws.last())).isEqualTo(JSON.readTree("{\"SecretId\":\"credpool/db-password\",\"VersionId\":\"" + V2 + "\"}"));
    }

    @Test
    void versionsMapStagingLabelsNewestFirst() throws Exception {
        aws.then(ok("{\"ARN\":\"" + ARN + "\",\"Name\":\"credpool/db-password\",\"Versions\":["
                + "{\"CreatedDate\":1.7E9,\"VersionId\":\"" + V1 + "\",\"VersionStages\":[\"AWSCURRENT\"]},"
                + "{\"CreatedDate\":1.8E9,\"VersionId\":\"" + V2 + "\",\"VersionStages\":[\"AWSPENDING\",\"custom\"]}]}"));
        try (var p = provider()) {
            assertThat(p.versions("db-password")).extracting(SecretVersion::versionId, SecretVersion::labels).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(V2, Set.of(Label.PENDING)),
                    org.assertj.core.groups.Tuple.tuple(V1, Set.of(Label.CURRENT)));
        }
        assertThat(aws.last().header("X-Amz-Target")).isEqualTo("secretsmanager.ListSecretVersionIds");
        assertThat(body(aws.last()).path("IncludeDeprecated").asBoolean(true)).isFalse();
    }

    @Test
    void putPendingChecksTheCurrentVersionThenWritesWithAClientRequestToken() throws Exception {
        aws.then(describe(V1, null), ok("{\"ARN\":\"" + ARN + "\",\"Name\":\"credpool/db-password\",\"VersionId\":\"" + V2
                + "\",\"VersionStages\":[\"AWSPENDING\"]}"));
        try (var p = provider()) {
            SecretVersion v = p.put("db-password", VALUE.getBytes(StandardCharsets.UTF_8), Label.PENDING, Optional.of(V1));
            assertThat(v.versionId()).isEqualTo(V2);
            assertThat(v.labels()).containsExactly(Label.PENDING);
        }
        assertThat(aws.requests().get(0).header("X-Amz-Target")).isEqualTo("secretsmanager.DescribeSecret");
        Request put = aws.last();
        assertThat(put.header("X-Amz-Target")).isEqualTo("secretsmanager.PutSecretValue");
        JsonNode b = body(put);
        assertThat(b.path("SecretId").asText()).isEqualTo("credpool/db-password");
        assertThat(b.path("SecretString").asText()).isEqualTo(VALUE);
        assertThat(b.path("VersionStages").toString()).isEqualTo("[\"AWSPENDING\"]");
        assertThat(b.path("ClientRequestToken").asText()).matches("[0-9a-f-]{36}");
    }

    @Test
    void aRetriedWriteReusesItsClientRequestTokenSoOnlyOneVersionIsMade() throws Exception {
        aws.then(error(500, "InternalServiceError", "An error occurred on the server side."),
                ok("{\"Name\":\"credpool/db-password\",\"VersionId\":\"" + V2 + "\",\"VersionStages\":[\"AWSCURRENT\"]}"));
        try (var p = provider()) {
            p.put("db-password", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.empty());
        }
        List<Request> rs = aws.requests();
        assertThat(rs).hasSize(2);
        assertThat(body(rs.get(0)).path("ClientRequestToken")).isEqualTo(body(rs.get(1)).path("ClientRequestToken"));
    }

    @Test
    void anOutdatedExpectedCurrentIsAConflictAndNothingIsWritten() {
        aws.then(describe(V2, null));
        try (var p = provider()) {
            assertThat(failure(VersionConflictException.class,
                    () -> p.put("db-password", VALUE.getBytes(StandardCharsets.UTF_8), Label.CURRENT, Optional.of(V1))).getMessage())
                    .isEqualTo("secret 'db-password' changed under you: expected current version " + V1 + " but it is " + V2
                            + "; read it again and retry");
        }
        assertThat(aws.requests()).hasSize(1);
    }

    @Test
    void aNewCredentialIsCreatedWithoutAValueThenWrittenAsAsked() throws Exception {
        aws.then(error(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret."),
                ok("{\"ARN\":\"" + ARN + "\",\"Name\":\"credpool/db-password\"}"),
                ok("{\"Name\":\"credpool/db-password\",\"VersionId\":\"" + V1 + "\",\"VersionStages\":[\"AWSPENDING\"]}"));
        try (var p = provider()) {
            p.put("db-password", VALUE.getBytes(StandardCharsets.UTF_8), Label.PENDING, Optional.empty());
        }
        List<Request> rs = aws.requests();
        assertThat(rs).extracting(r -> r.header("X-Amz-Target")).containsExactly("secretsmanager.PutSecretValue",
                "secretsmanager.CreateSecret", "secretsmanager.PutSecretValue");
        assertThat(body(rs.get(1)).has("SecretString")).isFalse();
    }

    @Test
    void promoteMovesAwscurrentAndRemovesAwspending() throws Exception {
        aws.then(describe(V1, V2), ok("{\"ARN\":\"" + ARN + "\",\"Name\":\"credpool/db-password\"}"),
                ok("{\"ARN\":\"" + ARN + "\",\"Name\":\"credpool/db-password\"}"));
        try (var p = provider()) {
            assertThat(p.promote("db-password", V2, Optional.of(V1)).versionId()).isEqualTo(V2);
        }
        List<Request> rs = aws.requests();
        assertThat(rs.get(1).header("X-Amz-Target")).isEqualTo("secretsmanager.UpdateSecretVersionStage");
        assertThat(body(rs.get(1))).isEqualTo(JSON.readTree("{\"SecretId\":\"credpool/db-password\",\"VersionStage\":\"AWSCURRENT\","
                + "\"MoveToVersionId\":\"" + V2 + "\",\"RemoveFromVersionId\":\"" + V1 + "\"}"));
        assertThat(body(rs.get(2))).isEqualTo(JSON.readTree("{\"SecretId\":\"credpool/db-password\",\"VersionStage\":\"AWSPENDING\","
                + "\"RemoveFromVersionId\":\"" + V2 + "\"}"));
    }

    @Test
    void anUnknownSecretIsNotFoundWithTheCommandToCreateIt() {
        aws.then(error(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret."));
        try (var p = provider()) {
            assertThat(failure(SecretNotFoundException.class, () -> p.current("db-password")).getMessage())
                    .isEqualTo("credential 'db-password' is not in AWS Secrets Manager (provider 'aws-prod'): no secret"
                            + " 'credpool/db-password' (or no such version) in eu-west-1; create it with"
                            + " `aws secretsmanager create-secret --name credpool/db-password --secret-string ...`");
        }
    }

    @Test
    void permissionDeniedNamesTheIamActionToGrant() {
        aws.then(error(400, "AccessDeniedException", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform:"
                + " secretsmanager:GetSecretValue on resource: credpool/db-password"));
        try (var p = provider()) {
            assertThat(failure(ProviderUnavailableException.class, () -> p.current("db-password")).getMessage())
                    .startsWith("AWS Secrets Manager (provider 'aws-prod', region eu-west-1) denied GetSecretValue on secret"
                            + " 'credpool/db-password' for credential 'db-password' (AccessDeniedException: User:")
                    .endsWith("grant the IAM principal secretsmanager:GetSecretValue on it");
        }
    }

    @Test
    void expiredCredentialsSayToRefreshThem() {
        aws.then(error(400, "ExpiredTokenException", "The security token included in the request is expired"));
        try (var p = provider()) {
            assertThat(failure(ProviderUnavailableException.class, () -> p.current("db-password")).getMessage())
                    .isEqualTo("AWS Secrets Manager (provider 'aws-prod', region eu-west-1) rejected credpool's AWS credentials"
                            + " for GetSecretValue on secret 'credpool/db-password' for credential 'db-password'"
                            + " (ExpiredTokenException: The security token included in the request is expired): they are"
                            + " expired or invalid; refresh them (e.g. `aws sso login`, new access keys, or the instance role)");
        }
    }

    @Test
    void throttlingIsRetriedThenSucceeds() {
        aws.then(error(400, "ThrottlingException", "Rate exceeded"), error(400, "ThrottlingException", "Rate exceeded"),
                secretValue(V1, "AWSCURRENT"));
        try (var p = provider()) {
            assertThat(p.current("db-password").version()).isEqualTo(V1);
        }
        assertThat(aws.requests()).hasSize(3);
    }

    @Test
    void throttlingThroughEveryAttemptIsAClearRefusal() {
        Reply t = error(400, "ThrottlingException", "Rate exceeded");
        aws.then(t, t, t);
        try (var p = provider()) {
            assertThat(failure(ProviderUnavailableException.class, () -> p.current("db-password")).getMessage())
                    .isEqualTo("AWS Secrets Manager (provider 'aws-prod', region eu-west-1) kept throttling GetSecretValue on"
                            + " secret 'credpool/db-password' for credential 'db-password' (ThrottlingException) through 3"
                            + " attempts; try again later");
        }
        assertThat(aws.requests()).hasSize(3);
    }

    @Test
    void aServerThatIsDownIsRefusedAfterTheRetries() throws Exception {
        URI down;
        try (MockHttpServer s = new MockHttpServer()) {
            down = s.uri();
        }
        try (var p = provider(down)) {
            assertThat(failure(ProviderUnavailableException.class, () -> p.current("db-password")).getMessage())
                    .startsWith("AWS Secrets Manager (provider 'aws-prod', region eu-west-1) cannot be reached for GetSecretValue"
                            + " on secret 'credpool/db-password' for credential 'db-password' at " + down + " after 3 attempts");
        }
    }

    @Test
    void malformedJsonIsRefusedWithoutQuotingTheBody() {
        Reply broken = ok("{\"Name\":\"credpool/db-password\",\"SecretString\":\"" + VALUE + "\",\"VersionId\":");
        aws.then(broken, broken, broken);
        try (var p = provider()) {
            ProviderUnavailableException e = failure(ProviderUnavailableException.class, () -> p.current("db-password"));
            assertThat(e.getMessage()).contains("with something the SDK cannot use");
            assertThat(e.getCause()).isNull();
        }
    }
}
