package io.credpool.cli;

import io.credpool.app.Credpool;
import io.credpool.config.ConfigException;
import io.credpool.sandbox.SandboxException;
import io.credpool.secrets.SecretsException;
import io.credpool.task.TaskRefusedException;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * Turns the core's exceptions into one clear line on stderr and exit status 125. Their messages
 * are written to never carry a value; anything unexpected still prints only its type and message,
 * never a stack trace that could drag in state.
 */
final class Errors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        String message;
        if (e instanceof TaskRefusedException r) {
            message = "refused: " + r.getMessage();
        } else if (e instanceof ConfigException || e instanceof SecretsException || e instanceof SandboxException
                || e instanceof Credpool.NotInitializedException || e instanceof UncheckedIOException
                || e instanceof UsageException || e instanceof ApiClient.ApiException
                || e instanceof io.credpool.scan.Allowlist.AllowlistException
                || e instanceof io.credpool.rotation.RotationException || e instanceof io.credpool.rotation.RotationInProgressException) {
            message = e.getMessage();
        } else {
            message = "internal error (" + e.getClass().getSimpleName() + "): " + e.getMessage()
                    + "; see $CREDPOOL_HOME/logs/credpool.log";
            org.slf4j.LoggerFactory.getLogger(Errors.class).error("internal error", e);
        }
        cmd.getErr().println("credpool: " + message);
        cmd.getErr().flush();
        return e instanceof UsageException ? 2 : Main.EXIT_ERROR;
    }

    /** Wrong use of a command that picocli's parser cannot see (e.g. a missing stdin value). */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
