package io.credpool.config;

import java.util.List;
import java.util.stream.Collectors;

/** A config file that cannot be used, with every problem found, each at file:line:column. */
public final class ConfigException extends RuntimeException {
    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(problems.size() == 1 ? problems.get(0)
                : problems.size() + " problems in the config:\n" + problems.stream()
                        .map(p -> "  " + p).collect(Collectors.joining("\n")));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
