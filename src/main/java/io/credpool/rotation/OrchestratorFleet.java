package io.credpool.rotation;

import io.credpool.pool.WarmPool;
import io.credpool.sandbox.OutputSink;
import io.credpool.task.CredentialUse;
import io.credpool.task.Orchestrator;
import io.credpool.task.TaskRequest;
import io.credpool.task.TaskResult;
import java.util.List;
import java.util.Optional;

/** The {@link Fleet} of one in-process orchestrator and its warm pools. */
public final class OrchestratorFleet implements Fleet {
    private final Orchestrator orchestrator;
    private final boolean seesEveryHolder;

    /**
     * @param seesEveryHolder true for the server's orchestrator (every task and session of the
     *     installation runs there); false for a one-shot CLI one
     */
    public OrchestratorFleet(Orchestrator orchestrator, boolean seesEveryHolder) {
        this.orchestrator = orchestrator;
        this.seesEveryHolder = seesEveryHolder;
    }

    @Override
    public World.PoolsView pools(String credential, Optional<String> pending) {
        List<WarmPool> pools = baking(credential);
        if (pools.isEmpty()) {
            return World.PoolsView.NONE;
        }
        boolean staged = pending.isPresent() && pools.stream().allMatch(p -> p.staged(credential).equals(pending));
        boolean fresh = staged && pools.stream().allMatch(p -> p.freshWithPending(credential, pending.get()));
        return new World.PoolsView(true, staged, fresh);
    }

    @Override
    public void stage(String credential, String version) {
        baking(credential).forEach(p -> p.stagePending(credential, version));
    }

    @Override
    public void unstage(String credential) {
        baking(credential).forEach(p -> p.unstage(credential));
    }

    @Override
    public World.Holders holders(String credential, String version) {
        CredentialUse u = orchestrator.use(credential, version);
        return new World.Holders(u.tasks(), u.sessions(), u.poolMembers());
    }

    @Override
    public boolean seesEveryHolder() {
        return seesEveryHolder;
    }

    @Override
    public int rekeySessions(String credential, String version) {
        return orchestrator.rekeySessions(credential, version);
    }

    @Override
    public int closeSessions(String credential, String version) {
        return orchestrator.closeSessions(credential, version);
    }

    @Override
    public int verify(String taskType, List<String> command, String credential, String version) {
        TaskRequest request = TaskRequest.of(taskType, command).withVersion(credential, version);
        // The output is not kept: it is redacted anyway, and the exit code is the verdict.
        OutputSink discard = (stream, buf, off, len) -> { };
        TaskResult result = orchestrator.run(request, discard);
        return result.timedOut() ? 124 : result.exitCode();
    }

    private List<WarmPool> baking(String credential) {
        return orchestrator.pools().all().stream().filter(p -> p.bakes(credential)).toList();
    }
}
