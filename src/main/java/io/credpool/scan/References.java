package io.credpool.scan;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Recognizes a read of an environment variable in shell, JavaScript, Python, Java, Ruby, Go,
 * Rust, Make, Compose and Actions syntax: {@code $NAME}, {@code ${NAME}}, {@code $(NAME)},
 * {@code %NAME%}, {@code process.env.NAME}, {@code process.env["NAME"]},
 * {@code os.environ["NAME"]}, {@code os.getenv("NAME")}, {@code System.getenv("NAME")},
 * {@code ENV["NAME"]}, {@code ENV.fetch("NAME")}, {@code os.Getenv("NAME")},
 * {@code env::var("NAME")}, {@code secrets.NAME}. A bare mention (in prose, say) is not a read.
 */
public final class References {
    /** What must come right before the name; checked over a short window, so it is cheap. */
    private static final Pattern BEFORE = Pattern.compile(
            "(?:\\$\\{?|\\$\\(|%|(?<![A-Za-z0-9_])(?:env|secrets|vars)\\."
                    + "|(?:environ|getenv|Getenv|LookupEnv|ENV|env|var|fetch|get|getProperty)\\s*[\\[(]\\s*[\"'`])\\z");
    private static final int WINDOW = 48;

    private References() {
    }

    /** True when {@code text[start, end)} (a variable name) is read as an environment variable there. */
    static boolean isReference(CharSequence text, int start, int end) {
        if (start > 0 && isWordChar(text.charAt(start - 1))) {
            return false;
        }
        if (end < text.length() && isWordChar(text.charAt(end))) {
            return false;
        }
        int from = Math.max(0, start - WINDOW);
        return BEFORE.matcher(text.subSequence(from, start)).find();
    }

    /** Which of {@code names} the text (a command line, say) reads. */
    public static Set<String> in(String text, Collection<String> names) {
        Set<String> found = new LinkedHashSet<>();
        for (String name : names) {
            for (int i = text.indexOf(name); i >= 0 && !found.contains(name); i = text.indexOf(name, i + 1)) {
                if (isReference(text, i, i + name.length())) {
                    found.add(name);
                }
            }
        }
        return found;
    }

    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
}
