package dev.p2psuite.dht;

import dev.p2psuite.grpc.ForwardedPeerInterceptor;
import dev.p2psuite.proto.dht.v1.DhtPeerGrpc;
import dev.p2psuite.proto.search.v1.SearchPeerGrpc;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/** Peer RPCs of this service carry the caller's node ID as authenticated by the node's gateway. */
@GlobalInterceptor
@ApplicationScoped
public class PeerIdentityInterceptor extends ForwardedPeerInterceptor {

    PeerIdentityInterceptor() {
        super(Set.of(DhtPeerGrpc.SERVICE_NAME, SearchPeerGrpc.SERVICE_NAME));
    }
}
