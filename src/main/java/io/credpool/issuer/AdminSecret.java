package io.credpool.issuer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * An issuer's admin password or token, named in the config by an environment variable or a file
 * and read at each use, so an operator can replace it without restarting credpool.
 */
public final class AdminSecret {
    private final String describe;
    private final Function<String, Optional<String>> reader;

    private AdminSecret(String describe, Function<String, Optional<String>> reader) {
        this.describe = describe;
        this.reader = reader;
    }

    /** No admin secret: the service's admin user needs none (e.g. Redis's default user with nopass). */
    public static AdminSecret none() {
        return new AdminSecret("none", credential -> Optional.empty());
    }

    /** Read from environment variable {@code name}; {@code where} says where the config named it. */
    public static AdminSecret fromEnvironment(String name, Function<String, String> environment, String what, String where) {
        String describe = "environment variable " + name;
        return new AdminSecret(describe, credential -> {
            String v = environment.apply(name);
            if (v == null || v.isEmpty()) {
                throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': the issuer's " + what
                        + " comes from " + describe + " (" + where + "), which is not set; set it in credpool's environment", null);
            }
            return Optional.of(v);
        });
    }

    /** Read from {@code file} (trailing newlines dropped); {@code where} says where the config named it. */
    public static AdminSecret fromFile(Path file, String what, String where) {
        String describe = "file " + file;
        return new AdminSecret(describe, credential -> {
            try {
                String v = Files.readString(file, StandardCharsets.UTF_8).replaceAll("[\r\n]+$", "");
                if (v.isEmpty()) {
                    throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': the issuer's " + what
                            + " file " + file + " (" + where + ") is empty; write the " + what + " into it", null);
                }
                return Optional.of(v);
            } catch (NoSuchFileException e) {
                throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': the issuer's " + what
                        + " file " + file + " (" + where + ") does not exist; create it (mode 0600) with the " + what, null);
            } catch (IOException e) {
                throw new IssuerException(IssuerException.Kind.REJECTED, "credential '" + credential + "': cannot read the issuer's "
                        + what + " file " + file + " (" + where + "): " + e.getMessage(), null);
            }
        });
    }

    /** The secret now, or empty for {@link #none()}; throws {@link IssuerException} REJECTED if it cannot be read. */
    public Optional<String> read(String credential) {
        return reader.apply(credential);
    }

    /** Where it comes from, never the value: "environment variable X", "file /p", "none". */
    @Override
    public String toString() {
        return "AdminSecret[" + describe + "]";
    }
}
