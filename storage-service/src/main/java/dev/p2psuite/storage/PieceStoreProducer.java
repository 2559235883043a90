package dev.p2psuite.storage;

import dev.p2psuite.storage.store.InfinispanPieceStore;
import dev.p2psuite.storage.store.PieceStore;
import dev.p2psuite.storage.store.RemotePieceStore;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Builds the piece store at startup (so a bad configuration, a locked directory or an unimplemented mode stops the
 * service at once rather than failing requests later) and closes it on shutdown.
 */
@ApplicationScoped
public class PieceStoreProducer {

    private static final Logger LOG = Logger.getLogger(PieceStoreProducer.class);

    @Produces
    @Singleton
    @Startup
    PieceStore pieceStore(StorageConfig config) {
        StorageConfig.Storage s = config.storage();
        Path location = s.directory().orElse(config.dataDir().resolve("storage"));
        InfinispanPieceStore.Cluster cluster = null;
        switch (s.mode()) {
            case EMBEDDED -> { }
            case CLUSTERED -> {
                StorageConfig.Cluster c = s.cluster();
                boolean replicated = switch (c.cacheMode().trim().toLowerCase(java.util.Locale.ROOT)) {
                    case "replicated" -> true;
                    case "distributed" -> false;
                    default -> throw new IllegalStateException("p2p.storage.cluster.cache-mode must be replicated or"
                            + " distributed, got '" + c.cacheMode() + "'");
                };
                cluster = new InfinispanPieceStore.Cluster(c.name(), "storage-" + c.bindAddress() + "-" + c.bindPort(),
                        c.bindAddress(), c.bindPort(), c.initialHosts(), replicated, c.numOwners());
            }
            case REMOTE -> {
                PieceStore store = RemotePieceStore.open(s.remote().servers().orElse(List.of()));
                LOG.infof("piece store: %s", store.describe());
                return store;
            }
        }
        PieceStore store = InfinispanPieceStore.open(new InfinispanPieceStore.Options(location,
                s.memoryPieces(), s.memoryManifests(), cluster));
        LOG.infof("piece store: %s", store.describe());
        return store;
    }

    void close(@Disposes PieceStore store) {
        store.close();
    }
}
