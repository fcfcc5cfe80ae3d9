package io.credpool.cli;

/** How a command prints data. */
enum OutputFormat { TEXT, JSON }
