package io.credpool.task;

import io.credpool.audit.AuditLog;
import io.credpool.audit.AuditEvent;
import io.credpool.audit.AuditEventKind;
import io.credpool.config.CredentialRef;
import io.credpool.config.CredpoolConfig;
import io.credpool.config.Durations;
import io.credpool.config.Scope;
import io.credpool.config.TaskType;
import io.credpool.pool.Lease;
import io.credpool.pool.WarmPool;
import io.credpool.pool.WarmPools;
import io.credpool.redact.RedactingSink;
import io.credpool.redact.Redactor;
import io.credpool.sandbox.OutputSink;
import io.credpool.sandbox.Sandbox;
import io.credpool.sandbox.SandboxBackend;
import io.credpool.sandbox.SandboxSpec;
import io.credpool.sandbox.TaskExit;
import io.credpool.scan.Allowlist;
import io.credpool.scan.Finding;
import io.credpool.scan.References;
import io.credpool.scan.ScanResult;
import io.credpool.scan.SkippedFile;
import io.credpool.scan.WorkspaceGuard;
import io.credpool.secrets.SecretNotFoundException;
import io.credpool.secrets.SecretValue;
import io.credpool.secrets.SecretsException;
import io.credpool.secrets.SecretsProvider;
import io.credpool.task.TaskRefusedException.Reason;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task flow: resolve a task type's credentials by name, refuse before any sandbox starts if
 * one cannot be had, inject the values into a fresh sandbox, redact them from the output, and
 * record in the audit log which versions the task received. Where the task type has a warm pool,
 * the task runs in a leased member that already holds its pool-scope values; otherwise it starts cold.
 */
public final class Orchestrator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Orchestrator.class);

    private final CredpoolConfig config;
    private final SecretsProvider secrets;
    private final Sandboxes sandboxes;
    private final AuditLog audit;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final WorkspaceGuard guard;
    private final WarmPools pools;
    private final MeterRegistry metrics;
    /**
     * Task id -> what it holds, from before its credentials are fetched until its sandbox is gone:
     * a rotation must see a task that is about to receive the old version, not only one running
     * with it, or it could revoke between the fetch and the start.
     */
    private final Map<String, Holding> inUse = new ConcurrentHashMap<>();

    /** @param versions credential -> version; null while the task is still fetching */
    private record Holding(Set<String> declared, Map<String, String> versions) {
    }

    /** An orchestrator without warm pools (a one-shot CLI run): every task starts cold. */
    public Orchestrator(CredpoolConfig config, SecretsProvider secrets, Sandboxes sandboxes, AuditLog audit, Clock clock) {
        this(config, secrets, sandboxes, audit, clock, WarmPools.none(), new SimpleMeterRegistry());
    }

    /** An orchestrator that leases from {@code pools} (and closes them when it closes). */
    public Orchestrator(CredpoolConfig config, SecretsProvider secrets, Sandboxes sandboxes, AuditLog audit, Clock clock,
            WarmPools pools, MeterRegistry metrics) {
        this.config = config;
        this.secrets = secrets;
        this.sandboxes = sandboxes;
        this.audit = audit;
        this.clock = clock;
        // Every task type's variable names in one automaton: one compiled scanner serves all types.
        this.guard = new WorkspaceGuard(config.scan(), secrets, config.taskTypes().values().stream()
                .flatMap(t -> t.credentials().stream()).map(CredentialRef::env).distinct().sorted().toList(), clock);
        this.pools = pools;
        this.metrics = metrics;
    }

    public WarmPools pools() {
        return pools;
    }

    public CredpoolConfig config() {
        return config;
    }

    /** The provider this orchestrator (and its pools) read: a rotation writes through it so the pools hear of it at once. */
    public SecretsProvider secrets() {
        return secrets;
    }

    /** Runs one task to completion, streaming its redacted output to {@code output}. */
    public TaskResult run(TaskRequest request, OutputSink output) {
        return prepare(request).execute(output);
    }

    /**
     * Checks a task request and fetches its credentials, without starting anything. Either the
     * returned task is executed (or closed, which wipes its values), or nothing was fetched.
     *
     * @throws TaskRefusedException when the task cannot get exactly its declared credentials or
     *     has no sandbox; the refusal is in the audit log
     */
    public PreparedTask prepare(TaskRequest request) {
        String taskId = newId("t-");
        TaskType type;
        Session session;
        List<CredentialRef> refs;
        SandboxBackend backend;
        Optional<Set<String>> referenced;
        try {
            if (request.command().isEmpty()) {
                throw new TaskRefusedException(Reason.BAD_REQUEST, "no command given: say what the task runs, e.g. credpool run --type "
                        + request.taskType() + " -- make test");
            }
            type = taskType(request.taskType());
            refs = selectCredentials(type, request.only());
            backend = sandboxes.forType(type);
            referenced = checkWorkspace(type, refs, request);
            // Last: a session acquired here is released on every path from now on. A task with
            // pinned versions (a rotation's verification) fetches its session-scope values itself.
            session = request.versions().isEmpty() ? sessionFor(type, request.sessionId(), refs) : null;
        } catch (TaskRefusedException e) {
            refused(taskId, request.taskType(), request.sessionId().orElse(null), e);
            countOutcome(request.taskType(), "refused");
            throw e;
        }

        Map<CredentialRef, SecretValue> fetched = new LinkedHashMap<>();
        Lease lease = null;
        inUse.put(taskId, new Holding(refs.stream().map(CredentialRef::name).collect(Collectors.toSet()), null));
        try {
            lease = request.versions().isEmpty() ? lease(type, refs, request) : null;
            for (CredentialRef ref : refs) {
                if (ref.scope() == Scope.POOL && lease != null) {
                    // What the member holds is what the task gets: the audit log records this version.
                    fetched.put(ref, lease.values().get(ref.name()));
                } else if (ref.scope() != Scope.SESSION || session == null) {
                    fetched.put(ref, fetch(type, ref, Optional.ofNullable(request.versions().get(ref.name()))));
                }
            }
        } catch (RuntimeException e) {
            inUse.remove(taskId);
            if (!(e instanceof TaskRefusedException refusal)) {
                fetched.values().forEach(SecretValue::wipe);
                if (lease != null) {
                    lease.close();
                }
                if (session != null) {
                    session.release();
                }
                throw e;
            }
            catchRefusal(refusal, fetched, lease, session, taskId, type);
            throw refusal;
        }
        return new PreparedTask(taskId, type, session, refs, fetched, backend, request, referenced, lease);
    }

    /** Undoes a half-prepared task that was refused, and records the refusal. */
    private void catchRefusal(TaskRefusedException e, Map<CredentialRef, SecretValue> fetched, Lease lease, Session session,
            String taskId, TaskType type) {
        fetched.values().forEach(SecretValue::wipe);
        if (lease != null) {
            lease.close();
        }
        if (session != null) {
            session.release();
        }
        refused(taskId, type.name(), session == null ? null : session.id(), e);
        countOutcome(type.name(), "refused");
    }

    /**
     * Refuses a workspace that holds a secret or cannot be scanned completely, and returns which
     * of the task's credentials the workspace or the command reads (empty when unknown, i.e. the
     * scan is disabled for a task with a workspace).
     */
    private Optional<Set<String>> checkWorkspace(TaskType type, List<CredentialRef> refs, TaskRequest request) {
        Set<String> envs = new java.util.LinkedHashSet<>();
        refs.forEach(r -> envs.add(r.env()));
        Set<String> readEnvs = new java.util.HashSet<>(References.in(String.join(" ", request.command()), envs));
        if (request.workspace().isPresent()) {
            if (!config.scan().enabled()) {
                return Optional.empty();
            }
            ScanResult result = scanWorkspace(type, request.workspace().get());
            readEnvs.addAll(result.references().keySet());
        }
        Set<String> names = new java.util.TreeSet<>();
        refs.stream().filter(r -> readEnvs.contains(r.env())).forEach(r -> names.add(r.name()));
        return Optional.of(names);
    }

    private ScanResult scanWorkspace(TaskType type, java.nio.file.Path ws) {
        ScanResult result;
        try {
            result = guard.scan(ws);
        } catch (java.io.IOException | Allowlist.AllowlistException e) {
            throw new TaskRefusedException(Reason.WORKSPACE_NOT_SCANNED, null, "the workspace " + ws
                    + " could not be scanned for secrets, so the task was not started: " + e.getMessage(), e);
        } catch (SecretsException e) {
            throw new TaskRefusedException(Reason.PROVIDER_UNAVAILABLE, null,
                    "the workspace " + ws + " could not be checked for known secret values: " + e.getMessage(), e);
        }
        if (result.incomplete()) {
            throw new TaskRefusedException(Reason.WORKSPACE_NOT_SCANNED, null, "the workspace " + ws + " is larger than"
                    + " scan.max_workspace_size (" + io.credpool.config.Sizes.format(config.scan().maxWorkspaceBytes())
                    + "), so it was not scanned completely and the task was not started; run the task on a smaller"
                    + " workspace or raise scan.max_workspace_size in " + config.source().getFileName(), null);
        }
        for (SkippedFile s : result.skipped()) {
            if (s.reason() == SkippedFile.Reason.TOO_LARGE || s.reason() == SkippedFile.Reason.UNREADABLE) {
                log.warn("workspace scan for task type {}: {} was not scanned ({})", type.name(), s.path(), s.reason().lower());
            }
        }
        if (!result.clean()) {
            List<Finding> f = result.findings();
            int shown = Math.min(f.size(), 10);
            String list = f.subList(0, shown).stream().map(x -> x.location() + " " + x.what())
                    .collect(Collectors.joining("; "));
            boolean known = f.stream().anyMatch(Finding::isKnownSecret);
            String detail = f.stream().map(x -> x.path() + ":" + x.line() + " "
                    + (x.isKnownSecret() ? x.credential() + "@" + x.version() : x.rule())).collect(Collectors.joining(", "));
            throw new TaskRefusedException(Reason.WORKSPACE_HAS_SECRET,
                    f.stream().filter(Finding::isKnownSecret).map(Finding::credential).findFirst().orElse(null),
                    "the workspace " + ws + " holds " + (f.size() == 1 ? "a secret" : f.size() + " secrets")
                            + ", so the task was not started: " + list + (f.size() > shown ? "; and " + (f.size() - shown)
                            + " more" : "") + ". Remove " + (f.size() == 1 ? "it" : "them") + " from the workspace"
                            + (known ? " and rotate every credential named (whoever read the repository has it)" : "")
                            + "; a false positive can be allowlisted by its fingerprint (see credpool scan "
                            + ws + ")", null, detail);
        }
        return result;
    }

    /**
     * A fresh member of the type's pool, or null for a cold start: no pool, none fresh, or a task
     * a member cannot serve (members start without a workspace, and hold every pool-scope
     * credential, so a task that narrows them away must not get one).
     */
    private Lease lease(TaskType type, List<CredentialRef> refs, TaskRequest request) {
        Optional<WarmPool> pool = pools.pool(type.name());
        if (pool.isEmpty()) {
            return null;
        }
        boolean narrowsPoolScope = type.credentials(Scope.POOL).stream().anyMatch(r -> !refs.contains(r));
        if (request.workspace().isPresent() || narrowsPoolScope) {
            pool.get().countColdStart();
            return null;
        }
        try {
            return pool.get().lease().orElse(null);
        } catch (SecretsException e) {
            throw new TaskRefusedException(Reason.PROVIDER_UNAVAILABLE, null, "task type '" + type.name()
                    + "': cannot check the current versions of its pool-scope credentials: " + e.getMessage(), e);
        }
    }

    /** A task whose credentials are in hand; runs once, or is closed to wipe them unused. */
    public final class PreparedTask implements AutoCloseable {
        private final String taskId;
        private final TaskType type;
        private final Session session;
        private final Map<CredentialRef, SecretValue> fetched;
        private final SandboxBackend backend;
        private final TaskRequest request;
        private final Map<String, SecretValue> baked = new LinkedHashMap<>();
        private final Map<String, SecretValue> leased = new LinkedHashMap<>();
        private final List<ReceivedCredential> received = new ArrayList<>();
        /** The session's values as this task took them: a re-key during the task does not change them. */
        private final List<SecretValue> sessionValues = new ArrayList<>();
        private final java.util.concurrent.atomic.AtomicBoolean used = new java.util.concurrent.atomic.AtomicBoolean();
        private final Optional<Set<String>> referenced;
        private final List<CredentialRef> refs;
        private final Lease lease;

        private PreparedTask(String taskId, TaskType type, Session session, List<CredentialRef> refs,
                Map<CredentialRef, SecretValue> fetched, SandboxBackend backend, TaskRequest request,
                Optional<Set<String>> referenced, Lease lease) {
            this.referenced = referenced;
            this.refs = refs;
            this.lease = lease;
            this.taskId = taskId;
            this.type = type;
            this.session = session;
            this.fetched = fetched;
            this.backend = backend;
            this.request = request;
            Map<String, String> versions = new java.util.HashMap<>();
            Map<CredentialRef, SecretValue> fromSession = session == null ? Map.of() : session.values();
            for (CredentialRef ref : refs) {
                SecretValue value = ref.scope() == Scope.SESSION && session != null ? fromSession.get(ref) : fetched.get(ref);
                if (ref.scope() == Scope.SESSION && session != null) {
                    sessionValues.add(value);
                }
                (ref.scope() == Scope.POOL ? baked : leased).put(ref.env(), value);
                received.add(new ReceivedCredential(ref.name(), value.version(), ref.env(), ref.scope()));
                versions.put(ref.name(), value.version());
            }
            inUse.put(taskId, new Holding(versions.keySet(), versions));
        }

        public String taskId() {
            return taskId;
        }

        public String taskType() {
            return type.name();
        }

        public List<ReceivedCredential> received() {
            return List.copyOf(received);
        }

        /** The warm member this task runs in, if it was leased from a pool. */
        public Optional<String> warmMember() {
            return Optional.ofNullable(lease).map(Lease::memberId);
        }

        /** Starts a sandbox, injects the values, runs the command, destroys the sandbox. */
        public TaskResult execute(OutputSink output) {
            if (!used.compareAndSet(false, true)) {
                throw new IllegalStateException("task " + taskId + " was already run or closed");
            }
            String sessionId = session == null ? null : session.id();
            try {
                // Journal before effect: the audit log says what the task receives before it has it.
                audit.append(AuditEvent.of(AuditEventKind.TASK_STARTED).withTask(taskId, type.name()).withSession(sessionId)
                        .withDetail(startedDetail(backend.name() + (lease != null ? ", warm member " + lease.memberId()
                                : pools.pool(type.name()).isPresent() ? ", cold start" : ""), refs, referenced)));
                for (ReceivedCredential r : received) {
                    audit.append(receivedEvent(taskId, type.name(), sessionId, r));
                }
                log.info("task {} of type {} starting in {} with credentials {}", taskId, type.name(), backend.name(),
                        received.stream().map(r -> r.name() + "@" + r.version()).collect(Collectors.joining(", ")));
                Collection<SecretValue> all = new ArrayList<>(fetched.values());
                all.addAll(sessionValues);
                RedactingSink redacted = new RedactingSink(Redactor.of(all), output);
                TaskExit exit;
                try {
                    if (lease != null) {
                        // Task- and session-scope values reach the member only now, with the command.
                        exit = lease.sandbox().run(request.command(), leased, redacted, type.timeout());
                    } else {
                        try (Sandbox sandbox = backend.create(new SandboxSpec(type.name(), request.workspace(), type.network(), baked))) {
                            exit = sandbox.run(request.command(), leased, redacted, type.timeout());
                        }
                    }
                } finally {
                    if (lease != null) {
                        lease.close();
                    }
                    redacted.finish();
                }
                String outcome = exit.timedOut() ? "timed out after " + Durations.format(type.timeout()) : "exit " + exit.exitCode();
                audit.append(finished(taskId, type.name(), sessionId, outcome));
                log.info("task {} finished: {}", taskId, outcome);
                countOutcome(type.name(), exit.timedOut() ? "timed_out" : exit.exitCode() == 0 ? "succeeded" : "failed");
                return new TaskResult(taskId, type.name(), backend.name(), exit.exitCode(), exit.timedOut(), exit.elapsed(), received);
            } catch (RuntimeException e) {
                countOutcome(type.name(), "error");
                audit.append(finished(taskId, type.name(), sessionId, "failed: " + e.getClass().getSimpleName()));
                throw e;
            } finally {
                fetched.values().forEach(SecretValue::wipe);
                if (session != null) {
                    session.release();
                }
                inUse.remove(taskId);
            }
        }

        /** Wipes the fetched values if the task never ran. */
        @Override
        public void close() {
            if (used.compareAndSet(false, true)) {
                fetched.values().forEach(SecretValue::wipe);
                if (lease != null) {
                    lease.close();
                }
                if (session != null) {
                    session.release();
                }
                inUse.remove(taskId);
                audit.append(finished(taskId, type.name(), session == null ? null : session.id(), "not run"));
            }
        }
    }

    /** Opens a session of a task type: fetches its session-scope credentials once. */
    public Session openSession(String taskTypeName) {
        String id = newId("s-");
        TaskType type;
        try {
            type = taskType(taskTypeName);
        } catch (TaskRefusedException e) {
            refused(null, taskTypeName, id, e);
            throw e;
        }
        Map<CredentialRef, SecretValue> values = new LinkedHashMap<>();
        try {
            for (CredentialRef ref : type.credentials(Scope.SESSION)) {
                values.put(ref, fetch(type, ref));
            }
        } catch (TaskRefusedException e) {
            values.values().forEach(SecretValue::wipe);
            refused(null, type.name(), id, e);
            throw e;
        }
        Session session = new Session(id, type.name(), clock.instant(), values);
        audit.append(AuditEvent.of(AuditEventKind.SESSION_OPENED).withTask(null, type.name()).withSession(id));
        for (ReceivedCredential r : session.held()) {
            audit.append(receivedEvent(null, type.name(), id, r));
        }
        sessions.put(id, session);
        log.info("session {} of type {} opened", id, type.name());
        return session;
    }

    /** Closes a session and wipes its values. */
    public void closeSession(String id) {
        Session session = sessions.remove(id);
        if (session == null) {
            throw new TaskRefusedException(Reason.UNKNOWN_SESSION, "no open session '" + id + "'");
        }
        session.close();
        audit.append(AuditEvent.of(AuditEventKind.SESSION_CLOSED).withTask(null, session.taskType()).withSession(id));
        log.info("session {} closed", id);
    }

    /** Who holds {@code version} of {@code credential} in this orchestrator now (tasks, sessions, warm members). */
    public CredentialUse use(String credential, String version) {
        int tasks = 0;
        for (Holding h : inUse.values()) {
            Map<String, String> v = h.versions();
            if (v == null ? h.declared().contains(credential) : version.equals(v.get(credential))) {
                tasks++;
            }
        }
        int held = 0;
        for (Session s : sessions.values()) {
            if (s.holds(credential, version)) {
                held++;
            }
        }
        int members = 0;
        for (WarmPool p : pools.all()) {
            members += p.holding(credential, version);
        }
        return new CredentialUse(tasks, held, members);
    }

    /**
     * Gives every open session that holds {@code version} of {@code credential} the current version
     * instead: its next task receives it; its running tasks keep what they started with.
     *
     * @return how many sessions were re-keyed
     * @throws TaskRefusedException when the current version cannot be fetched (nothing changed)
     */
    public int rekeySessions(String credential, String version) {
        int n = 0;
        for (Session s : sessions.values()) {
            if (!s.holds(credential, version)) {
                continue;
            }
            TaskType type = taskType(s.taskType());
            Map<CredentialRef, SecretValue> fresh = new LinkedHashMap<>();
            for (CredentialRef ref : type.credentials(Scope.SESSION)) {
                if (ref.name().equals(credential)) {
                    fresh.put(ref, fetch(type, ref));
                }
            }
            if (s.rekey(fresh)) {
                n++;
                audit.append(AuditEvent.of(AuditEventKind.SESSION_REKEYED).withTask(null, type.name()).withSession(s.id())
                        .withCredential(credential, version).withDetail("replaced by the current version after a rotation's grace period"));
                for (ReceivedCredential r : s.held()) {
                    if (r.name().equals(credential)) {
                        audit.append(receivedEvent(null, type.name(), s.id(), r));
                    }
                }
                log.info("session {} re-keyed: '{}' {} replaced by the current version", s.id(), credential, version);
            }
        }
        return n;
    }

    /** Closes every open session that holds {@code version} of {@code credential}; returns how many. */
    public int closeSessions(String credential, String version) {
        int n = 0;
        for (Session s : List.copyOf(sessions.values())) {
            if (s.holds(credential, version)) {
                try {
                    closeSession(s.id());
                    n++;
                } catch (TaskRefusedException e) {
                    // Closed meanwhile.
                }
            }
        }
        return n;
    }

    public Optional<Session> session(String id) {
        return Optional.ofNullable(sessions.get(id));
    }

    public List<Session> sessions() {
        return sessions.values().stream().sorted(java.util.Comparator.comparing(Session::opened)).toList();
    }

    /** Closes every session (their values are wiped) and the warm pools. */
    @Override
    public void close() {
        for (String id : List.copyOf(sessions.keySet())) {
            closeSession(id);
        }
        pools.close();
    }

    /** Task outcomes by type; the type name comes from the operator's config, never from a value. */
    private void countOutcome(String type, String outcome) {
        String known = config.taskType(type).isPresent() ? type : "(unknown)";
        Counter.builder("credpool.tasks").description("Tasks by outcome").tag("type", known).tag("outcome", outcome)
                .register(metrics).increment();
    }

    private TaskType taskType(String name) {
        return config.taskType(name).orElseThrow(() -> new TaskRefusedException(Reason.UNKNOWN_TASK_TYPE,
                "unknown task type '" + name + "'; known task types: " + String.join(", ", config.taskTypes().keySet())
                        + " (in " + config.source() + ")"));
    }

    private static List<CredentialRef> selectCredentials(TaskType type, Optional<Set<String>> only) {
        if (only.isEmpty()) {
            return type.credentials();
        }
        for (String name : new java.util.TreeSet<>(only.get())) {
            if (type.credential(name).isEmpty()) {
                throw new TaskRefusedException(Reason.UNDECLARED_CREDENTIAL, name, "task type '" + type.name()
                        + "' does not declare credential '" + name + "'; it declares: " + declared(type), null);
            }
        }
        return type.credentials().stream().filter(c -> only.get().contains(c.name())).toList();
    }

    private Session sessionFor(TaskType type, Optional<String> sessionId, List<CredentialRef> refs) {
        if (sessionId.isEmpty()) {
            Optional<CredentialRef> needs = refs.stream().filter(r -> r.scope() == Scope.SESSION).findFirst();
            if (needs.isPresent()) {
                throw new TaskRefusedException(Reason.SESSION_REQUIRED, needs.get().name(), "task type '" + type.name()
                        + "' has session-scope credential '" + needs.get().name() + "'; open a session first"
                        + " (credpool session open --type " + type.name() + ") and run the task with --session ID", null);
            }
            return null;
        }
        Session session = sessions.get(sessionId.get());
        if (session != null && !session.taskType().equals(type.name())) {
            throw new TaskRefusedException(Reason.SESSION_MISMATCH, "session '" + session.id() + "' belongs to task type '"
                    + session.taskType() + "', not '" + type.name() + "'");
        }
        if (session == null || !session.acquire()) {
            throw new TaskRefusedException(Reason.UNKNOWN_SESSION, "no open session '" + sessionId.get() + "'");
        }
        return session;
    }

    private SecretValue fetch(TaskType type, CredentialRef ref) {
        return fetch(type, ref, Optional.empty());
    }

    private SecretValue fetch(TaskType type, CredentialRef ref, Optional<String> version) {
        try {
            return version.isPresent() ? secrets.version(ref.name(), version.get()) : secrets.current(ref.name());
        } catch (SecretNotFoundException e) {
            throw new TaskRefusedException(Reason.UNKNOWN_CREDENTIAL, ref.name(),
                    "task type '" + type.name() + "' needs credential '" + ref.name() + "' (" + ref.where() + "): " + e.getMessage(), null);
        } catch (SecretsException e) {
            throw new TaskRefusedException(Reason.PROVIDER_UNAVAILABLE, ref.name(),
                    "task type '" + type.name() + "' needs credential '" + ref.name() + "' (" + ref.where() + "): " + e.getMessage(), e);
        }
    }

    private void refused(String taskId, String type, String sessionId, TaskRefusedException e) {
        log.warn("refused {}: {}", taskId == null ? "session " + sessionId : "task " + taskId, e.getMessage());
        try {
            audit.append(AuditEvent.of(AuditEventKind.TASK_REFUSED).withTask(taskId, type).withSession(sessionId)
                    .withCredential(e.credential().orElse(null), null).withDetail(e.auditDetail()));
        } catch (RuntimeException auditDown) {
            // The refusal stands either way; an audit log that shares the provider's database may be down with it.
            e.addSuppressed(auditDown);
            log.error("could not record refusal of {} in the audit log: {}", taskId, auditDown.getMessage());
        }
    }

    /**
     * "sandbox bubblewrap; referenced: a,b; unreferenced: c": which credential names the task's
     * workspace or command reads, for the declared-vs-used report. Names only, never values.
     */
    static String startedDetail(String sandbox, List<CredentialRef> refs, Optional<Set<String>> referenced) {
        if (referenced.isEmpty()) {
            return "sandbox " + sandbox;
        }
        String used = refs.stream().map(CredentialRef::name).filter(referenced.get()::contains).sorted()
                .collect(Collectors.joining(","));
        String unused = refs.stream().map(CredentialRef::name).filter(n -> !referenced.get().contains(n)).sorted()
                .collect(Collectors.joining(","));
        return "sandbox " + sandbox + "; referenced: " + (used.isEmpty() ? "-" : used) + "; unreferenced: "
                + (unused.isEmpty() ? "-" : unused);
    }

    private static AuditEvent receivedEvent(String taskId, String type, String sessionId, ReceivedCredential r) {
        return AuditEvent.of(AuditEventKind.CREDENTIAL_RECEIVED).withTask(taskId, type).withSession(sessionId)
                .withCredential(r.name(), r.version()).withScope(r.scope().lower()).withDetail("as " + r.env());
    }

    private static AuditEvent finished(String taskId, String type, String sessionId, String outcome) {
        return AuditEvent.of(AuditEventKind.TASK_FINISHED).withTask(taskId, type).withSession(sessionId).withDetail(outcome);
    }

    private static String declared(TaskType type) {
        return type.credentials().isEmpty() ? "(none)"
                : type.credentials().stream().map(CredentialRef::name).collect(Collectors.joining(", "));
    }

    private String newId(String prefix) {
        byte[] b = new byte[6];
        random.nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }
}
