package io.credpool.sandbox;

import io.credpool.secrets.SecretValue;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** One started sandbox: runs one command, then is destroyed with everything in it. */
public interface Sandbox extends AutoCloseable {

    String id();

    /** True while the sandbox is up and has not run its command yet. */
    boolean isReady();

    /**
     * Runs {@code command} with the baked-in variables plus {@code env} (variable name to value)
     * and streams its output to {@code output}. Values travel over the agent's pipe, never on a
     * command line. A command that outlives {@code timeout} is killed with its whole process tree.
     * Can be called once.
     */
    TaskExit run(List<String> command, Map<String, SecretValue> env, OutputSink output, Duration timeout);

    /** Destroys the sandbox: every process in it is killed and its tmpfs is gone. Idempotent. */
    @Override
    void close();
}
