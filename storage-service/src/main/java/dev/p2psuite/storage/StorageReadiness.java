package dev.p2psuite.storage;

import dev.p2psuite.storage.store.InfinispanPieceStore;
import dev.p2psuite.storage.store.PieceStore;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the piece store is open (it is built at startup, so a running service is ready); says what backs it. */
@Readiness
@ApplicationScoped
public class StorageReadiness implements HealthCheck {

    private final PieceStore store;

    public StorageReadiness(PieceStore store) {
        this.store = store;
    }

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("piece-store").up().withData("store", store.describe());
        if (store instanceof InfinispanPieceStore ispn) {
            b.withData("members", String.join(",", ispn.members()));
        }
        return b.build();
    }
}
