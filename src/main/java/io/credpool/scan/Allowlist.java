package io.credpool.scan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Findings a person has looked at and declared harmless. Never values: one entry per line,
 * {@code #} starts a comment.
 *
 * <pre>
 * # one finding, by the fingerprint `credpool scan` prints
 * 3f2a9c0d1b2e4f56
 * # every finding of a rule (or a credential, or *) in the files a glob matches
 * testdata/**  private-key
 * docs/*.md    generic-secret-assignment
 * </pre>
 *
 * <p>{@link #trustsKnownSecrets()} says whether the list may suppress findings of real values
 * from the store: the operator's list may, a workspace's own {@code .credpool-allow} may not, or
 * an untrusted repository could allowlist the credential it carries.
 */
public final class Allowlist {
    /** The allowlist a workspace may carry at its root. */
    public static final String WORKSPACE_FILE = ".credpool-allow";

    private static final Pattern FINGERPRINT = Pattern.compile("[0-9a-f]{16}");

    private record PathRule(String glob, PathMatcher matcher, String rule) {
    }

    private final String source;
    private final List<String> fingerprints;
    private final List<PathRule> pathRules;
    private final boolean trustsKnownSecrets;

    private Allowlist(String source, List<String> fingerprints, List<PathRule> pathRules, boolean trustsKnownSecrets) {
        this.source = source;
        this.fingerprints = List.copyOf(fingerprints);
        this.pathRules = List.copyOf(pathRules);
        this.trustsKnownSecrets = trustsKnownSecrets;
    }

    public static Allowlist empty() {
        return new Allowlist("(none)", List.of(), List.of(), false);
    }

    /**
     * Reads an allowlist file; a missing file is an empty list.
     *
     * @param trustsKnownSecrets whether entries may suppress known-secret findings
     * @throws AllowlistException listing every malformed line with file:line
     */
    public static Allowlist load(Path file, boolean trustsKnownSecrets) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Allowlist(file.toString(), List.of(), List.of(), trustsKnownSecrets);
        } catch (IOException e) {
            throw new AllowlistException(file + ": cannot read the allowlist: " + e.getMessage());
        }
        return parse(file.toString(), lines, trustsKnownSecrets);
    }

    static Allowlist parse(String source, List<String> lines, boolean trustsKnownSecrets) {
        List<String> fingerprints = new ArrayList<>();
        List<PathRule> pathRules = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String text = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (text.isEmpty()) {
                continue;
            }
            String[] parts = text.split("\\s+");
            if (parts.length == 1 && FINGERPRINT.matcher(parts[0]).matches()) {
                fingerprints.add(parts[0]);
            } else if (parts.length == 2) {
                try {
                    pathRules.add(new PathRule(parts[0], FileSystems.getDefault().getPathMatcher("glob:" + parts[0]), parts[1]));
                } catch (IllegalArgumentException e) {
                    problems.add(source + ":" + (i + 1) + ": '" + parts[0] + "' is not a valid glob: " + e.getMessage());
                }
            } else {
                // The line is not echoed: someone may have pasted a value here by mistake.
                problems.add(source + ":" + (i + 1) + ": expected a 16-hex-digit fingerprint, or a path glob and a rule id"
                        + " (e.g. `testdata/** private-key`); never a value");
            }
        }
        if (!problems.isEmpty()) {
            throw new AllowlistException(String.join("\n", problems));
        }
        return new Allowlist(source, fingerprints, pathRules, trustsKnownSecrets);
    }

    public boolean trustsKnownSecrets() {
        return trustsKnownSecrets;
    }

    /** True when the finding is declared harmless here. */
    public boolean allows(Finding f) {
        if (f.isKnownSecret() && !trustsKnownSecrets) {
            return false;
        }
        if (fingerprints.contains(f.fingerprint())) {
            return true;
        }
        Path path = Path.of(f.path());
        for (PathRule r : pathRules) {
            boolean ruleMatches = r.rule.equals("*") || r.rule.equals(f.rule()) || r.rule.equals(f.credential());
            if (ruleMatches && r.matcher.matches(path)) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return fingerprints.isEmpty() && pathRules.isEmpty();
    }

    @Override
    public String toString() {
        return "Allowlist[" + source + ", fingerprints=" + fingerprints.size() + ", paths=" + pathRules.size() + "]";
    }

    /** An allowlist file that cannot be used; the message gives file:line for each problem. */
    public static final class AllowlistException extends RuntimeException {
        public AllowlistException(String message) {
            super(message);
        }
    }
}
