package io.credpool.task;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A request to run one command as a task of a task type.
 *
 * @param taskType the task type's name
 * @param command argv of the command to run inside the sandbox
 * @param workspace host directory copied into the sandbox, if any
 * @param sessionId the session whose session-scope credentials the task uses, if any
 * @param only when present, the task receives only these of its type's credentials
 * @param versions credential -> version id to inject instead of the current one: a rotation's
 *     verification task runs with the pending version. Such a task never takes a warm member
 *     (members hold current versions) and gets session-scope credentials fetched for itself.
 */
public record TaskRequest(String taskType, List<String> command, Optional<Path> workspace,
        Optional<String> sessionId, Optional<Set<String>> only, java.util.Map<String, String> versions) {
    public TaskRequest {
        command = List.copyOf(command);
        only = only.map(Set::copyOf);
        versions = java.util.Map.copyOf(versions);
    }

    public TaskRequest(String taskType, List<String> command, Optional<Path> workspace, Optional<String> sessionId,
            Optional<Set<String>> only) {
        this(taskType, command, workspace, sessionId, only, java.util.Map.of());
    }

    /** The same request with {@code credential} injected at {@code versionId} instead of its current version. */
    public TaskRequest withVersion(String credential, String versionId) {
        java.util.Map<String, String> v = new java.util.HashMap<>(versions);
        v.put(credential, versionId);
        return new TaskRequest(taskType, command, workspace, sessionId, only, v);
    }

    public static TaskRequest of(String taskType, List<String> command) {
        return new TaskRequest(taskType, command, Optional.empty(), Optional.empty(), Optional.empty());
    }

    public TaskRequest inWorkspace(Path dir) {
        return new TaskRequest(taskType, command, Optional.of(dir), sessionId, only, versions);
    }

    public TaskRequest inSession(String id) {
        return new TaskRequest(taskType, command, workspace, Optional.of(id), only, versions);
    }

    public TaskRequest onlyCredentials(Set<String> names) {
        return new TaskRequest(taskType, command, workspace, sessionId, Optional.of(names), versions);
    }
}
