package dev.p2psuite.relay;

import dev.p2psuite.grpc.ForwardedPeerInterceptor;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/** Peer RPCs of this service carry the caller's node ID as authenticated by the node's gateway. */
@GlobalInterceptor
@ApplicationScoped
public class PeerIdentityInterceptor extends ForwardedPeerInterceptor {

    PeerIdentityInterceptor() {
        super(Set.of(RelayPeerGrpc.SERVICE_NAME));
    }
}
