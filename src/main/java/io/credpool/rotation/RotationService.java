package io.credpool.rotation;

import io.credpool.config.CredentialSettings;
import io.credpool.config.CredpoolConfig;
import io.credpool.config.Durations;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.SecretsProvider;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotations as the CLI and the API ask for them: start, resume, abort, list, show, plan (dry run);
 * in the server also in the background: unfinished ones resumed at start, paused ones retried,
 * scheduled ones ({@code rotation.every}) started when due. At most one runner per rotation in this
 * process; the journal's lock row keeps it to one rotation per credential across processes.
 */
public final class RotationService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RotationService.class);

    private final RotationRunner runner;
    private final CredpoolConfig config;
    private final SecretsProvider secrets;
    private final Clock clock;
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> daemon(r, "credpool-rotation"));
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "credpool-rotation-schedule"));

    public RotationService(RotationRunner runner, CredpoolConfig config, SecretsProvider secrets, Clock clock) {
        this.runner = runner;
        this.config = config;
        this.secrets = secrets;
        this.clock = clock;
    }

    public RotationJournal journal() {
        return runner.journal();
    }

    /** Starts and runs a rotation here, returning when it is finished or paused. */
    public Rotation rotate(String credential, Optional<SecretValue> supplied, RotationListener listener) {
        checkKnown(credential);
        Rotation r = runner.begin(credential, supplied);
        listener.progress(r.id(), "rotation " + r.id() + " of '" + credential + "' started (issuer " + r.issuer()
                + ", current version " + r.oldVersion().orElse("none") + ")");
        return runGuarded(r.id(), listener);
    }

    /** Starts a rotation and runs it in the background (the API); returns it as just journaled. */
    public Rotation rotateInBackground(String credential) {
        checkKnown(credential);
        Rotation r = runner.begin(credential, Optional.empty());
        background(r.id());
        return r;
    }

    /** Resumes the unfinished rotation of {@code credential}. */
    public Rotation resume(String credential, RotationListener listener) {
        Rotation r = journal().active(credential).orElseThrow(() -> new RotationException("no rotation of '" + credential
                + "' is unfinished; start one with `credpool rotate " + credential + "`"));
        return runGuarded(r.id(), listener);
    }

    /** Resumes the unfinished rotation of {@code credential} in the background (the API). */
    public Rotation resumeInBackground(String credential) {
        Rotation r = journal().active(credential).orElseThrow(() -> new RotationException("no rotation of '" + credential
                + "' is unfinished; start one with `credpool rotate " + credential + "`"));
        background(r.id());
        return r;
    }

    public Rotation abort(String credential, RotationListener listener) {
        return runner.abort(credential, listener);
    }

    public List<Rotation> list() {
        return journal().list();
    }

    public Rotation get(String id) {
        return journal().get(id);
    }

    /** What a rotation of {@code credential} would do, without doing any of it. */
    public List<String> plan(String credential) {
        checkKnown(credential);
        Optional<Rotation> active = journal().active(credential);
        if (active.isPresent()) {
            throw new RotationInProgressException(credential, active.get().id(), active.get().currentStep());
        }
        String current = secrets.currentVersionId(credential).orElseThrow(() -> new RotationException("credential '" + credential
                + "' has no current version to rotate; store one first with `credpool secret put " + credential + "`"));
        CredentialSettings s = config.credential(credential).orElse(null);
        List<String> pooled = config.taskTypes().values().stream().filter(t -> t.pool().isPresent()
                && t.credentials(io.credpool.config.Scope.POOL).stream().anyMatch(c -> c.name().equals(credential)))
                .map(io.credpool.config.TaskType::name).toList();
        List<String> out = new ArrayList<>();
        out.add("1/6 create a new credential in the issuer" + (s != null && s.issuer().isPresent() ? " (" + s.issuer().get().kind().id()
                + ")" : "") + "; " + current + " stays valid");
        out.add("2/6 store it as a new version of '" + credential + "' labelled pending");
        out.add("3/6 " + (pooled.isEmpty() ? "no warm pool bakes '" + credential + "' in: nothing to rebuild"
                : "rebuild the warm pools of " + String.join(", ", pooled) + " with it and wait until they are fresh"));
        out.add("4/6 verify it with the issuer" + (s != null && s.rotation().verifyWith().isPresent()
                ? " and a task of type '" + s.rotation().verifyWith().get() + "'" : "") + "; on failure roll back");
        Duration grace = s == null ? Policy.defaults().grace() : s.rotation().grace();
        out.add("5/6 promote it to current; drain " + current + " (grace " + Durations.format(grace) + ", then "
                + (s == null ? "rekey" : s.rotation().onGraceExpiry()) + " sessions still holding it)");
        out.add("6/6 revoke " + current + " in the issuer and confirm from the audit log that nothing received it after the drain");
        return out;
    }

    /** Server start: resume what a crash interrupted, then every minute retry paused ones and start due ones. */
    public void startBackground(Duration every) {
        for (Rotation r : journal().unfinished()) {
            log.info("resuming rotation {} of '{}' ({}, step {})", r.id(), r.credential(), r.status().lower(), r.currentStep());
            background(r.id());
        }
        scheduler.scheduleWithFixedDelay(this::tick, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void tick() {
        try {
            for (Rotation r : journal().unfinished()) {
                background(r.id());
            }
            for (CredentialSettings s : config.credentials().values()) {
                if (s.rotationEvery().isPresent() && s.issuer().isPresent() && due(s)) {
                    try {
                        Rotation r = runner.begin(s.name(), Optional.empty());
                        log.info("scheduled rotation {} of '{}' (every {})", r.id(), s.name(), Durations.format(s.rotationEvery().get()));
                        background(r.id());
                    } catch (RotationInProgressException e) {
                        // Already running: nothing to start.
                    }
                }
            }
        } catch (RuntimeException e) {
            log.warn("rotation scheduler: {}", e.getMessage());
        }
    }

    /** Due when the current version is older than {@code every}: rotations and manual puts both reset the clock. */
    private boolean due(CredentialSettings s) {
        Optional<Instant> created = secrets.versions(s.name()).stream().filter(SecretVersion::isCurrent).map(SecretVersion::created)
                .findFirst();
        return created.isPresent() && !clock.instant().isBefore(created.get().plus(s.rotationEvery().get()))
                && journal().active(s.name()).isEmpty();
    }

    private void background(String id) {
        if (running.contains(id)) {
            return;
        }
        try {
            workers.execute(() -> {
                try {
                    runGuarded(id, (rid, line) -> log.info("{}", line));
                } catch (RuntimeException e) {
                    log.error("rotation {}: {}", id, e.getMessage());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Closing.
        }
    }

    private Rotation runGuarded(String id, RotationListener listener) {
        if (!running.add(id)) {
            Rotation r = journal().get(id);
            throw new RotationInProgressException(r.credential(), id, r.currentStep());
        }
        try {
            return runner.run(id, listener);
        } finally {
            running.remove(id);
        }
    }

    private void checkKnown(String credential) {
        if (config.credential(credential).isEmpty() && config.taskTypes().values().stream()
                .noneMatch(t -> t.credential(credential).isPresent())) {
            throw new RotationException("credential '" + credential + "' is not in " + config.source().getFileName()
                    + "; add it under credentials: with an issuer: to rotate it");
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        workers.shutdownNow();
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
