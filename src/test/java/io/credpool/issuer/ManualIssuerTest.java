package io.credpool.issuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.credpool.secrets.SecretValue;
import io.credpool.testing.LogCapture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ManualIssuerTest {
    private static final String VALUE = "operator-typed-value-42";

    @Test
    void createReturnsTheOperatorsValueAndTheSameAgainForTheSameRotation() {
        ManualIssuer issuer = new ManualIssuer(ManualIssuer.Confirmation.NOBODY);

        SecretValue once = issuer.create("vendor", "rot-1", value(VALUE), Optional.empty());
        SecretValue twice = issuer.create("vendor", "rot-1", value(VALUE), Optional.empty());

        assertThat(once.sameValueAs(value(VALUE))).isTrue();
        assertThat(twice.sameValueAs(once)).isTrue();
        assertThat(once.name()).isEqualTo("vendor");
        assertThat(once.version()).isEqualTo("rot-1");
    }

    @Test
    void anEmptyValueIsRejectedWithWhatToDo() {
        assertThatThrownBy(() -> new ManualIssuer(ManualIssuer.Confirmation.NOBODY).create("vendor", "rot-1", value(""), Optional.empty()))
                .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.getMessage())
                        .isEqualTo("credential 'vendor' is issued by hand: give the new value (credpool rotate vendor --value-stdin)"));
    }

    @Test
    void verifyCannotCheckAndSaysSoWithoutTheValue() {
        try (LogCapture logs = new LogCapture()) {
            assertThatCode(() -> new ManualIssuer(ManualIssuer.Confirmation.NOBODY).verify("vendor", value(VALUE)))
                    .doesNotThrowAnyException();

            assertThat(logs.text()).contains("credential 'vendor' is issued by hand: credpool cannot check").doesNotContain(VALUE);
        }
    }

    @Test
    void revokeAsksTheOperatorAndFailsUntilTheyConfirm() {
        List<String> asked = new ArrayList<>();
        ManualIssuer refusing = new ManualIssuer((credential, v) -> asked.add(credential + " " + v) && false);
        ManualIssuer confirming = new ManualIssuer((credential, v) -> asked.add(credential + " " + v));

        assertThatThrownBy(() -> refusing.revoke("vendor", value(VALUE))).isInstanceOfSatisfying(IssuerException.class, e -> {
            assertThat(e.kind()).isEqualTo(IssuerException.Kind.REJECTED);
            assertThat(e.getMessage()).startsWith("credential 'vendor' is issued by hand and the operator did not confirm that"
                    + " SecretValue[name=vendor, version=v, sha256=").endsWith(" was revoked in its service; revoke it there, then resume"
                    + " the rotation").doesNotContain(VALUE);
        });
        assertThatCode(() -> confirming.revoke("vendor", value(VALUE))).doesNotThrowAnyException();
        assertThat(asked).hasSize(2).allSatisfy(a -> assertThat(a).startsWith("vendor SecretValue[").doesNotContain(VALUE));
    }

    private static SecretValue value(String s) {
        return SecretValue.of("vendor", "v", s.getBytes(StandardCharsets.UTF_8));
    }
}
