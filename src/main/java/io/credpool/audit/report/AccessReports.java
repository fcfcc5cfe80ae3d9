package io.credpool.audit.report;

import io.credpool.audit.AuditEventKind;
import io.credpool.audit.AuditLog;
import io.credpool.audit.AuditRecord;
import io.credpool.audit.report.AccessReport.CredentialUse;
import io.credpool.audit.report.AccessReport.PolicyFinding;
import io.credpool.audit.report.AccessReport.Receipt;
import io.credpool.audit.report.AccessReport.Referenced;
import io.credpool.audit.report.AccessReport.TaskTypeUse;
import io.credpool.audit.report.AccessReport.Timeline;
import io.credpool.audit.report.AccessReport.VersionSpan;
import io.credpool.audit.report.AccessReport.WorkspaceRefusal;
import io.credpool.config.CredentialRef;
import io.credpool.config.CredpoolConfig;
import io.credpool.config.Scope;
import io.credpool.config.TaskType;
import io.credpool.secrets.Label;
import io.credpool.secrets.SecretVersion;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Builds {@link AccessReport}s and answers "which tasks received this version" from the audit log. */
public final class AccessReports {
    /** A credential declared by this many task types or more is shared widely. */
    static final int MANY_TASK_TYPES = 3;
    /** Rotating more often than this makes pool scope costly: every rotation rebuilds the pool. */
    static final Duration FREQUENT_ROTATION = Duration.ofDays(7);

    private AccessReports() {
    }

    /**
     * @param records the audit records of the period, oldest first
     * @param versions every secret version the provider lists
     */
    public static AccessReport build(CredpoolConfig config, List<AuditRecord> records, List<SecretVersion> versions,
            Instant since, Instant now) {
        // Which session of which task type received which credential, to count session tasks.
        Map<String, Set<String>> sessionCredentials = new LinkedHashMap<>();
        for (AuditRecord r : records) {
            if (r.kind() == AuditEventKind.CREDENTIAL_RECEIVED && r.taskId() == null && r.sessionId() != null) {
                sessionCredentials.computeIfAbsent(r.sessionId(), k -> new HashSet<>()).add(r.credential());
            }
        }
        List<TaskTypeUse> types = new ArrayList<>();
        for (TaskType type : config.taskTypes().values()) {
            List<AuditRecord> started = records.stream()
                    .filter(r -> r.kind() == AuditEventKind.TASK_STARTED && type.name().equals(r.taskType())).toList();
            int scanned = (int) started.stream().filter(r -> parseReferences(r.detail()) != null).count();
            List<CredentialUse> uses = new ArrayList<>();
            for (CredentialRef ref : type.credentials()) {
                Set<String> receivers = new TreeSet<>();
                for (AuditRecord r : records) {
                    if (r.kind() == AuditEventKind.CREDENTIAL_RECEIVED && type.name().equals(r.taskType())
                            && ref.name().equals(r.credential()) && r.taskId() != null) {
                        receivers.add(r.taskId());
                    }
                }
                for (AuditRecord s : started) {
                    if (s.sessionId() != null && sessionCredentials.getOrDefault(s.sessionId(), Set.of()).contains(ref.name())) {
                        receivers.add(s.taskId());
                    }
                }
                Referenced referenced = referenced(started, ref.name());
                boolean over = referenced == Referenced.NO;
                String suggestion = over ? "no task of type '" + type.name() + "' read " + ref.env() + " in " + scanned
                        + " scanned task" + (scanned == 1 ? "" : "s") + ": remove credential '" + ref.name()
                        + "' from task_types." + type.name() + ".credentials in " + config.source().getFileName() + " ("
                        + ref.where() + ")" : null;
                uses.add(new CredentialUse(ref.name(), ref.env(), ref.scope().lower(), receivers.size(), referenced, over,
                        suggestion));
            }
            types.add(new TaskTypeUse(type.name(), started.size(), scanned, uses));
        }
        return new AccessReport(now, since, config.source().toString(), types, policy(config, versions),
                timelines(config, records, versions, since), refusals(records));
    }

    private static Referenced referenced(List<AuditRecord> started, String credential) {
        boolean known = false;
        for (AuditRecord s : started) {
            Map<String, Boolean> refs = parseReferences(s.detail());
            if (refs != null && refs.containsKey(credential)) {
                if (refs.get(credential)) {
                    return Referenced.YES;
                }
                known = true;
            }
        }
        return known ? Referenced.NO : Referenced.UNKNOWN;
    }

    /**
     * Reads "sandbox X; referenced: a,b; unreferenced: c" (the orchestrator's TASK_STARTED
     * detail) into credential -> read?; null for records written before tasks recorded it.
     */
    static Map<String, Boolean> parseReferences(String detail) {
        if (detail == null || !detail.contains("; referenced: ")) {
            return null;
        }
        Map<String, Boolean> out = new TreeMap<>();
        for (String part : detail.split("; ")) {
            boolean yes = part.startsWith("referenced: ");
            if (yes || part.startsWith("unreferenced: ")) {
                String list = part.substring(part.indexOf(": ") + 2).trim();
                if (!list.equals("-")) {
                    Arrays.stream(list.split(",")).forEach(n -> out.put(n, yes));
                }
            }
        }
        return out;
    }

    private static List<PolicyFinding> policy(CredpoolConfig config, List<SecretVersion> versions) {
        Map<String, List<TaskType>> declaredBy = new TreeMap<>();
        for (TaskType t : config.taskTypes().values()) {
            t.credentials().forEach(c -> declaredBy.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(t));
        }
        List<PolicyFinding> out = new ArrayList<>();
        for (Map.Entry<String, List<TaskType>> e : declaredBy.entrySet()) {
            String cred = e.getKey();
            List<String> typeNames = e.getValue().stream().map(TaskType::name).toList();
            List<String> poolTypes = typesWithScope(e.getValue(), cred, Scope.POOL);
            Duration interval = medianRotation(versions, cred);
            if (!poolTypes.isEmpty() && interval != null && interval.compareTo(FREQUENT_ROTATION) < 0) {
                out.add(new PolicyFinding(PolicyFinding.Kind.POOL_SCOPE_ROTATES_OFTEN, cred, poolTypes, "credential '" + cred
                        + "' rotates about every " + human(interval) + " but is pool scope in " + String.join(", ", poolTypes)
                        + ": every rotation rebuilds those pools; consider task scope"));
            }
            List<String> sessionTypes = typesWithScope(e.getValue(), cred, Scope.SESSION);
            if (!sessionTypes.isEmpty() && typeNames.size() >= MANY_TASK_TYPES) {
                out.add(new PolicyFinding(PolicyFinding.Kind.SESSION_SCOPE_SHARED, cred, sessionTypes, "credential '" + cred
                        + "' is session scope in " + String.join(", ", sessionTypes) + " and declared by " + typeNames.size()
                        + " task types: a long-held value shared this widely has a wide blast radius; consider task scope"
                        + " or a separate credential per task type"));
            }
            if (typeNames.size() >= MANY_TASK_TYPES) {
                out.add(new PolicyFinding(PolicyFinding.Kind.DECLARED_BY_MANY, cred, typeNames, "credential '" + cred
                        + "' is declared by " + typeNames.size() + " task types (" + String.join(", ", typeNames)
                        + "): one leak reaches all of them; consider a separate, narrower credential per task type"));
            }
        }
        return out;
    }

    private static List<String> typesWithScope(List<TaskType> types, String cred, Scope scope) {
        return types.stream().filter(t -> t.credential(cred).map(c -> c.scope() == scope).orElse(false))
                .map(TaskType::name).toList();
    }

    /** Median time between consecutive versions, or null with fewer than two versions. */
    static Duration medianRotation(List<SecretVersion> versions, String credential) {
        List<Instant> times = versions.stream().filter(v -> v.name().equals(credential)).map(SecretVersion::created)
                .sorted().toList();
        if (times.size() < 2) {
            return null;
        }
        long[] gaps = new long[times.size() - 1];
        for (int i = 1; i < times.size(); i++) {
            gaps[i - 1] = Duration.between(times.get(i - 1), times.get(i)).toMillis();
        }
        Arrays.sort(gaps);
        return Duration.ofMillis(gaps[gaps.length / 2]);
    }

    private static String human(Duration d) {
        return d.toDays() >= 1 ? d.toDays() + "d" : d.toHours() >= 1 ? d.toHours() + "h" : Math.max(1, d.toMinutes()) + "m";
    }

    private static List<Timeline> timelines(CredpoolConfig config, List<AuditRecord> records, List<SecretVersion> versions,
            Instant since) {
        Set<String> declared = new TreeSet<>();
        config.taskTypes().values().forEach(t -> t.credentials().forEach(c -> declared.add(c.name())));
        List<Timeline> out = new ArrayList<>();
        for (String cred : declared) {
            List<SecretVersion> vs = versions.stream().filter(v -> v.name().equals(cred))
                    .sorted(Comparator.comparing(SecretVersion::created)).toList();
            List<VersionSpan> spans = new ArrayList<>();
            for (int i = 0; i < vs.size(); i++) {
                Instant replaced = i + 1 < vs.size() ? vs.get(i + 1).created() : null;
                if (replaced != null && replaced.isBefore(since)) {
                    continue;
                }
                spans.add(new VersionSpan(vs.get(i).versionId(), vs.get(i).created(), replaced,
                        vs.get(i).labels().stream().map(Label::lower).sorted().toList()));
            }
            List<Receipt> receipts = receipts(records, cred, null);
            out.add(new Timeline(cred, spans, receipts));
        }
        return out;
    }

    /** CREDENTIAL_RECEIVED records of a credential (one version, or all when null) as receipts. */
    private static List<Receipt> receipts(List<AuditRecord> records, String credential, String version) {
        List<Receipt> out = new ArrayList<>();
        for (AuditRecord r : records) {
            if (r.kind() == AuditEventKind.CREDENTIAL_RECEIVED && credential.equals(r.credential())
                    && (version == null || version.equals(r.versionId()))) {
                out.add(new Receipt(r.time(), r.taskId(), r.taskType(), r.sessionId(), r.versionId(), r.scope()));
            }
        }
        return out;
    }

    private static List<WorkspaceRefusal> refusals(List<AuditRecord> records) {
        return records.stream()
                .filter(r -> r.kind() == AuditEventKind.TASK_REFUSED && r.detail() != null
                        && r.detail().startsWith("workspace_has_secret"))
                .map(r -> new WorkspaceRefusal(r.time(), r.taskType(), r.detail().substring(r.detail().indexOf(':') + 1).trim()))
                .toList();
    }

    /**
     * Every task that ever received {@code version} of {@code credential}, oldest first: tasks
     * that received it themselves, and tasks that ran in a session that held it (those have the
     * session's receipt time replaced by the task's start).
     */
    public static List<Receipt> tasksThatReceived(AuditLog audit, String credential, String version) {
        List<Receipt> out = new ArrayList<>();
        for (AuditRecord r : audit.forCredential(credential, java.util.Optional.of(version))) {
            if (r.kind() != AuditEventKind.CREDENTIAL_RECEIVED) {
                continue;
            }
            if (r.taskId() != null) {
                out.add(new Receipt(r.time(), r.taskId(), r.taskType(), r.sessionId(), r.versionId(), r.scope()));
                continue;
            }
            List<AuditRecord> sessionTasks = r.sessionId() == null ? List.of() : audit.forSession(r.sessionId()).stream()
                    .filter(s -> s.kind() == AuditEventKind.TASK_STARTED).toList();
            if (sessionTasks.isEmpty()) {
                out.add(new Receipt(r.time(), null, r.taskType(), r.sessionId(), r.versionId(), r.scope()));
            }
            for (AuditRecord s : sessionTasks) {
                out.add(new Receipt(s.time(), s.taskId(), s.taskType(), s.sessionId(), r.versionId(), r.scope()));
            }
        }
        out.sort(Comparator.comparing(Receipt::time));
        return out;
    }
}
