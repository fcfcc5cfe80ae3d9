package io.credpool.secrets.embedded;

import io.credpool.audit.AuditLog;
import io.credpool.store.Database;
import java.nio.file.Path;

/** A store on a fresh state directory, as the orchestrator would open it; tests close it. */
final class StoreFixture implements AutoCloseable {
    final Path stateDir;
    final Database db;
    final MasterKey key;
    final AuditLog audit;
    final EmbeddedSecretsStore store;

    StoreFixture(Path stateDir) {
        this(stateDir, stateDir.resolve(MasterKey.FILE_NAME));
    }

    StoreFixture(Path stateDir, Path keyFile) {
        this.stateDir = stateDir;
        this.db = Database.open(stateDir);
        this.key = MasterKey.loadOrCreate(keyFile);
        this.audit = new AuditLog(db);
        this.store = new EmbeddedSecretsStore(db, key, audit);
    }

    @Override
    public void close() {
        store.close();
        db.close();
    }
}
