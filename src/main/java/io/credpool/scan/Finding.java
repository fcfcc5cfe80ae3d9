package io.credpool.scan;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One secret found in a workspace: where, and by which rule or known credential; never the
 * matched text.
 *
 * @param path the file, relative to the workspace root, with '/' separators
 * @param line 1-based line of the match's first byte
 * @param column 1-based byte column of the match's first byte
 * @param rule {@link #KNOWN_SECRET} for a value from the secrets store, else a {@link SecretRule} id
 * @param credential the known credential's name, or null for a rule finding
 * @param version the known credential's version id, or null
 * @param encoding how the known value was written (raw, base64, hex, ...), or null
 * @param fingerprint a stable id for allowlisting; derived from rule, credential, path and line only
 */
public record Finding(String path, int line, int column, String rule, String credential, String version,
        String encoding, String fingerprint) {

    /** The rule id of a finding that is a value from the secrets store. */
    public static final String KNOWN_SECRET = "known-secret";

    static Finding known(String path, int line, int column, String credential, String version, String encoding) {
        return new Finding(path, line, column, KNOWN_SECRET, credential, version, encoding,
                fingerprint(KNOWN_SECRET, credential, path, line));
    }

    static Finding rule(String path, int line, int column, String rule) {
        return new Finding(path, line, column, rule, null, null, null, fingerprint(rule, null, path, line));
    }

    public boolean isKnownSecret() {
        return KNOWN_SECRET.equals(rule);
    }

    /** "AGENTS.md:3:9" */
    public String location() {
        return path + ":" + line + ":" + column;
    }

    /** What was found, for people: the credential and version, or the rule; never the text. */
    public String what() {
        return isKnownSecret()
                ? "credential '" + credential + "' version " + version + " (" + encoding + ")"
                : "rule " + rule + " (" + SecretRule.describe(rule) + ")";
    }

    @Override
    public String toString() {
        return location() + " " + what() + " [fingerprint " + fingerprint + "]";
    }

    /**
     * Not a hash of the value: an unsalted hash of a short or guessable secret would let anyone
     * holding the allowlist confirm a guess. The line is part of it, as in gitleaks, so an
     * allowlisted finding that moves must be looked at again.
     */
    static String fingerprint(String rule, String credential, String path, int line) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(("credpool-finding-v1\0" + rule + "\0" + (credential == null ? "" : credential) + "\0" + path + "\0"
                    + line).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
