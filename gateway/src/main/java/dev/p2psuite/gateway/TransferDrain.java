package dev.p2psuite.gateway;

import dev.p2psuite.grpc.CallDrain;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.storage.v1.PiecePeerGrpc;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Set;

/**
 * On stop (SIGTERM), the gateway first lets the transfers in flight finish (clients' puts and gets, HTTP ones
 * included, and pieces served to peers), at most {@code p2p.shutdown-grace} (default 15 s), refusing new ones with UNAVAILABLE.
 */
@GlobalInterceptor
@ApplicationScoped
public class TransferDrain extends CallDrain {

    TransferDrain() {
        super("gateway", Set.of(NodeApiGrpc.getPutContentMethod().getFullMethodName(),
                NodeApiGrpc.getGetContentMethod().getFullMethodName(),
                PiecePeerGrpc.getRequestPiecesMethod().getFullMethodName()));
    }

    void onStop(@Observes ShutdownEvent event, GatewayConfig config) throws InterruptedException {
        stop(config.shutdownGrace());
    }
}
