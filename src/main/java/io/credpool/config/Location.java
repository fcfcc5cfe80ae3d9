package io.credpool.config;

import java.nio.file.Path;

/** Where something was written in a config file, for errors a person can find. */
public record Location(Path file, int line, int column) {
    @Override
    public String toString() {
        return file.getFileName() + ":" + line + ":" + column;
    }
}
