package io.credpool.pool;

import io.credpool.config.CredpoolConfig;
import io.credpool.config.TaskType;
import io.credpool.sandbox.SandboxBackend;
import io.credpool.secrets.NotifyingSecretsProvider;
import io.credpool.secrets.SecretsProvider;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The warm pools of a long-lived orchestrator, one per task type that has {@code pool:}; none in a one-shot CLI run. */
public final class WarmPools implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPools.class);

    private final Map<String, WarmPool> pools;
    private final AutoCloseable subscription;

    private WarmPools(Map<String, WarmPool> pools, AutoCloseable subscription) {
        this.pools = pools;
        this.subscription = subscription;
    }

    /** No pools: every task starts cold. */
    public static WarmPools none() {
        return new WarmPools(Map.of(), () -> { });
    }

    /**
     * Starts a pool for every task type with {@code pool:}. A type whose sandbox backend cannot be
     * had gets no pool (logged); its tasks are refused the usual way when they come.
     *
     * @param backends the backend for a task type, the same one its cold starts use
     */
    public static WarmPools start(CredpoolConfig config, Function<TaskType, SandboxBackend> backends, SecretsProvider secrets,
            Fingerprinter fingerprinter, MeterRegistry metrics, PoolTuning tuning, Clock clock) {
        CurrentVersions versions = new CurrentVersions(secrets, tuning.versionCacheTtl(), System::nanoTime);
        Map<String, WarmPool> pools = new LinkedHashMap<>();
        for (TaskType type : config.taskTypes().values()) {
            if (type.pool().isEmpty()) {
                continue;
            }
            SandboxBackend backend;
            try {
                backend = backends.apply(type);
            } catch (RuntimeException e) {
                log.warn("task type '{}' gets no warm pool: {}", type.name(), e.getMessage());
                continue;
            }
            pools.put(type.name(), new WarmPool(type, backend, secrets, versions, fingerprinter, metrics, tuning, clock));
            log.info("warm pool for '{}': {} members on {}", type.name(), type.pool().get().size(), backend.name());
        }
        AutoCloseable sub = () -> { };
        if (secrets instanceof NotifyingSecretsProvider n) {
            sub = n.onChange(name -> {
                versions.invalidate(name);
                pools.values().forEach(p -> p.credentialChanged(name));
            });
        }
        return new WarmPools(Map.copyOf(pools), sub);
    }

    public Optional<WarmPool> pool(String taskType) {
        return Optional.ofNullable(pools.get(taskType));
    }

    public List<WarmPool> all() {
        return pools.values().stream().sorted(java.util.Comparator.comparing(WarmPool::taskType)).toList();
    }

    @Override
    public void close() {
        try {
            subscription.close();
        } catch (Exception e) {
            log.debug("unsubscribing from secret changes: {}", e.toString());
        }
        pools.values().forEach(WarmPool::close);
    }
}
