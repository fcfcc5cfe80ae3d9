package io.credpool.scan;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rule for secret-shaped text that no store knows about: a token format (GitHub, AWS, Slack),
 * a private key block, or a high-entropy value assigned to a secret-sounding name.
 *
 * <p>Like gitleaks, each rule has literal keywords; the scanner finds keywords for all rules in
 * the same Aho–Corasick pass as the known values and runs a rule's regex only near a keyword, so
 * the regexes never see most of the bytes. The regexes here are credpool's own, written from the
 * token formats the vendors document, with gitleaks' and trufflehog's rule sets as references.
 *
 * @param id a stable id, used in findings and allowlists
 * @param description for people
 * @param keywords literals one of which every match begins with (case-sensitive bytes)
 * @param regex the rule; group 1, when present, is the part whose entropy is measured
 * @param minEntropy bits per character group 1 needs, 0 for none
 */
public record SecretRule(String id, String description, List<String> keywords, Pattern regex, double minEntropy) {

    public SecretRule {
        Objects.requireNonNull(id, "id");
        keywords = List.copyOf(keywords);
    }

    public static final String GENERIC_ID = "generic-secret-assignment";

    /** The built-in rules; {@code minEntropy} applies to the generic assignment rule. */
    public static List<SecretRule> defaults(double minEntropy) {
        return List.of(
                new SecretRule("aws-access-key-id", "AWS access key id",
                        List.of("AKIA", "ASIA", "ABIA", "ACCA", "A3T"),
                        // Key ids are a 4-letter type prefix and 16 base32 characters.
                        Pattern.compile("(?<![A-Z0-9])((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})(?![A-Z0-9])"), 3.0),
                new SecretRule("github-token", "GitHub token",
                        List.of("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
                        // Classic, OAuth, user-to-server, server-to-server and refresh tokens: 36+ base62.
                        Pattern.compile("(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36,251})(?![A-Za-z0-9_])"), 0),
                new SecretRule("github-fine-grained-pat", "GitHub fine-grained personal access token",
                        List.of("github_pat_"),
                        Pattern.compile("(?<![A-Za-z0-9_])(github_pat_[A-Za-z0-9_]{60,244})(?![A-Za-z0-9_])"), 0),
                new SecretRule("private-key", "private key block",
                        List.of("-----BEGIN"),
                        Pattern.compile("-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"), 0),
                new SecretRule("slack-token", "Slack token",
                        List.of("xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"),
                        Pattern.compile("(?<![A-Za-z0-9])(xox[baprs]-[A-Za-z0-9][A-Za-z0-9-]{9,250})"), 0),
                new SecretRule("slack-webhook", "Slack incoming webhook URL",
                        List.of("hooks.slack.com/"),
                        Pattern.compile("hooks\\.slack\\.com/(?:services|workflows)/([A-Za-z0-9+/_-]{30,})"), 0),
                new SecretRule(GENERIC_ID, "high-entropy value assigned to a secret-like name",
                        genericKeywords(),
                        // Starts at the keyword: the name must end in the secret-like word, then
                        // (= | : | := | =>) and an optionally quoted value; `keyboard = ...` does not match.
                        Pattern.compile("(?i)(?:key|secret|token|passw(?:or)?d|pwd|credentials?|auth)"
                                + "[\"']?[ \\t]{0,4}(?::=|=>|=|:)[ \\t]{0,4}[\"'`]?"
                                + "([a-z0-9+/=_.~-]{16,200})(?=[\"'`\\s;,)]|$)"), minEntropy));
    }

    private static List<String> genericKeywords() {
        List<String> words = List.of("key", "secret", "token", "passw", "pwd", "credential", "auth");
        // Byte matching is case-sensitive: lower, UPPER and Capitalized cover snake, SCREAMING and camel case.
        return words.stream()
                .flatMap(w -> java.util.stream.Stream.of(w, w.toUpperCase(Locale.ROOT),
                        Character.toUpperCase(w.charAt(0)) + w.substring(1)))
                .distinct().toList();
    }

    /** The description of a built-in rule by id, or the id itself. */
    static String describe(String id) {
        return defaults(0).stream().filter(r -> r.id.equals(id)).map(SecretRule::description).findFirst().orElse(id);
    }

    /** True when the match's measured part (group 1 of {@code m} over {@code text}) is random enough. */
    boolean accepts(Matcher m, CharSequence text) {
        if (minEntropy <= 0 || m.groupCount() < 1 || m.start(1) < 0) {
            return true;
        }
        return entropy(text, m.start(1), m.end(1)) >= minEntropy;
    }

    /** Shannon entropy in bits per character of {@code text[start, end)}, without making a String. */
    static double entropy(CharSequence text, int start, int end) {
        int[] counts = new int[256];
        for (int i = start; i < end; i++) {
            counts[text.charAt(i) & 0xff]++;
        }
        double n = end - start;
        double h = 0;
        for (int c : counts) {
            if (c > 0) {
                double p = c / n;
                h -= p * (Math.log(p) / Math.log(2));
            }
        }
        return h;
    }
}
