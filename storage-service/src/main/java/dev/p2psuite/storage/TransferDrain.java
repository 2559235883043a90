package dev.p2psuite.storage;

import dev.p2psuite.grpc.CallDrain;
import dev.p2psuite.proto.storage.v1.PiecePeerGrpc;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Set;

/**
 * On stop (SIGTERM), storage-service first lets the transfers in flight finish (puts, reads, downloads, pieces
 * served to peers), at most {@code p2p.shutdown-grace} (default 15 s), refusing new ones with UNAVAILABLE; only then is the
 * piece store closed. A piece is one store entry written whole and synced before it is acknowledged, so even a
 * stop past the grace period leaves no half-written piece (a torn entry is dropped at the next start).
 */
@GlobalInterceptor
@ApplicationScoped
public class TransferDrain extends CallDrain {

    TransferDrain() {
        super("storage-service", Set.of(StorageInternalGrpc.getPutContentMethod().getFullMethodName(),
                StorageInternalGrpc.getReadContentMethod().getFullMethodName(),
                StorageInternalGrpc.getFetchMethod().getFullMethodName(),
                PiecePeerGrpc.getRequestPiecesMethod().getFullMethodName()));
    }

    void onStop(@Observes ShutdownEvent event, StorageConfig config) throws InterruptedException {
        stop(config.shutdownGrace());
    }
}
