package io.credpool.issuer;

import io.credpool.secrets.SecretValue;
import java.util.Arrays;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A credential an operator changes by hand in its service: the operator supplies the new value
 * (rotation passes it as {@code proposed}, e.g. read from stdin), and confirms each revocation
 * through a {@link Confirmation}; the issuer itself does no console I/O.
 */
public final class ManualIssuer implements CredentialIssuer {
    private static final Logger LOG = LoggerFactory.getLogger(ManualIssuer.class);

    /** Asks the operator to revoke a value in the service by hand; true once they say it is done. */
    @FunctionalInterface
    public interface Confirmation {
        /** @param value to be described by its {@code toString()} (name, version, hash prefix), never shown itself */
        boolean confirmRevoked(String credential, SecretValue value);

        /** For unattended runs: nobody can confirm, so revocation fails with a message saying so. */
        Confirmation NOBODY = (credential, value) -> false;
    }

    private final Confirmation confirmation;

    public ManualIssuer(Confirmation confirmation) {
        this.confirmation = confirmation;
    }

    @Override
    public String kind() {
        return "manual";
    }

    /** The operator's value, as given; the same value again for the same rotation. */
    @Override
    public SecretValue create(String credential, String rotationId, SecretValue proposed, Optional<SecretValue> current) {
        byte[] b = proposed.bytes();
        try {
            if (b.length == 0) {
                throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "' is issued by hand:"
                        + " give the new value (credpool rotate " + credential + " --value-stdin)", null);
            }
            return SecretValue.of(credential, rotationId, b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** Cannot check a service it does not know; says so, and leaves the check to the verification task. */
    @Override
    public void verify(String credential, SecretValue value) {
        LOG.info("credential '{}' is issued by hand: credpool cannot check {} against its service; the verification task is the check",
                credential, value);
    }

    @Override
    public void revoke(String credential, SecretValue value) {
        if (!confirmation.confirmRevoked(credential, value)) {
            throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "' is issued by hand and the"
                    + " operator did not confirm that " + value + " was revoked in its service; revoke it there, then resume"
                    + " the rotation", null);
        }
    }
}
