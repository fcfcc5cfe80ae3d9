package io.credpool.scan;

import io.credpool.config.ScanSettings;
import io.credpool.secrets.SecretVersion;
import io.credpool.secrets.SecretsProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The workspace scan as the orchestrator and `credpool scan` run it: known values from the
 * secrets provider, the built-in rules, the operator's allowlist.
 *
 * <p>Compiling the automaton means decrypting every live version, so the compiled scanner is
 * kept and rebuilt only when the provider's version list (names, versions, labels, times)
 * changes, which a cheap metadata query tells.
 */
public final class WorkspaceGuard {
    private final ScanSettings settings;
    private final SecretsProvider secrets;
    private final List<String> referenceNames;
    private final Clock clock;
    private final Allowlist operatorAllowlist;
    private List<SecretVersion> compiledFor;
    private WorkspaceScanner scanner;

    /**
     * @param secrets where known values come from; null scans with the rules only
     * @param referenceNames environment variable names whose reads the scan reports
     * @throws Allowlist.AllowlistException when the operator's allowlist is malformed
     */
    public WorkspaceGuard(ScanSettings settings, SecretsProvider secrets, Collection<String> referenceNames, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.secrets = secrets;
        this.referenceNames = List.copyOf(referenceNames);
        this.clock = clock;
        this.operatorAllowlist = settings.allowlist().map(f -> Allowlist.load(f, true)).orElse(Allowlist.empty());
    }

    public ScanSettings settings() {
        return settings;
    }

    /**
     * Scans a workspace directory (or one file).
     *
     * @throws io.credpool.secrets.SecretsException when the provider cannot list or read versions
     * @throws Allowlist.AllowlistException when the workspace's own allowlist is malformed
     */
    public ScanResult scan(Path workspace) throws IOException {
        return scanner().scan(workspace, operatorAllowlist);
    }

    private synchronized WorkspaceScanner scanner() {
        List<SecretVersion> now = secrets == null ? List.of() : secrets.list();
        if (scanner == null || !now.equals(compiledFor)) {
            KnownSecrets known = secrets == null ? KnownSecrets.none()
                    : KnownSecrets.load(secrets, settings.retiredVersionsWithin(), clock.instant());
            scanner = WorkspaceScanner.compile(known, SecretRule.defaults(settings.minEntropy()), referenceNames,
                    settings.maxFileBytes(), settings.maxWorkspaceBytes());
            compiledFor = now;
        }
        return scanner;
    }
}
