package io.credpool.audit.report;

import java.time.Instant;
import java.util.List;

/**
 * Declared vs referenced vs received credentials per task type, scope-policy findings, and each
 * credential's version timeline with the versions tasks received: names and versions only.
 */
public record AccessReport(Instant generated, Instant since, String config, List<TaskTypeUse> taskTypes,
        List<PolicyFinding> policy, List<Timeline> timelines, List<WorkspaceRefusal> workspaceRefusals) {

    public AccessReport {
        taskTypes = List.copyOf(taskTypes);
        policy = List.copyOf(policy);
        timelines = List.copyOf(timelines);
        workspaceRefusals = List.copyOf(workspaceRefusals);
    }

    /** Whether tasks of a type read a credential's variable, as their TASK_STARTED records say. */
    public enum Referenced {
        /** At least one task's workspace or command read it. */
        YES,
        /** Tasks were scanned and none read it. */
        NO,
        /** No task in the period recorded what it reads (none ran, or the scan was off). */
        UNKNOWN
    }

    /** One task type: how many tasks ran, and what became of each declared credential. */
    public record TaskTypeUse(String name, int tasks, int scannedTasks, List<CredentialUse> credentials) {
        public TaskTypeUse {
            credentials = List.copyOf(credentials);
        }

        public List<CredentialUse> overProvisioned() {
            return credentials.stream().filter(CredentialUse::overProvisioned).toList();
        }
    }

    /**
     * @param suggestion what to change, when something should change; else null
     */
    public record CredentialUse(String credential, String env, String scope, int tasksReceived, Referenced referenced,
            boolean overProvisioned, String suggestion) {
    }

    /** A scope or sharing choice worth a second look. */
    public record PolicyFinding(Kind kind, String credential, List<String> taskTypes, String message) {
        public PolicyFinding {
            taskTypes = List.copyOf(taskTypes);
        }

        public enum Kind { POOL_SCOPE_ROTATES_OFTEN, SESSION_SCOPE_SHARED, DECLARED_BY_MANY }
    }

    /** A credential's versions over time and which version each task received when. */
    public record Timeline(String credential, List<VersionSpan> versions, List<Receipt> receipts) {
        public Timeline {
            versions = List.copyOf(versions);
            receipts = List.copyOf(receipts);
        }
    }

    /** A version from its creation until the next one was created (null while it is the newest). */
    public record VersionSpan(String version, Instant created, Instant replaced, List<String> labels) {
        public VersionSpan {
            labels = List.copyOf(labels);
        }
    }

    /**
     * One task (or session) receiving one version.
     *
     * @param taskId the task, or null when a session received it and no task of it ran yet
     */
    public record Receipt(Instant time, String taskId, String taskType, String sessionId, String version, String scope) {
    }

    /** A task refused because its workspace held a secret: where, and which rule or credential. */
    public record WorkspaceRefusal(Instant time, String taskType, String findings) {
    }
}
