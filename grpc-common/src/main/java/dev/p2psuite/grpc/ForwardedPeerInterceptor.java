package dev.p2psuite.grpc;

import dev.p2psuite.identity.NodeId;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;

/**
 * In an internal service: makes the caller of each peer RPC, as authenticated by the node's gateway
 * ({@link PeerMetadata#PEER_ID}), available to handlers as {@link PeerMetadata#AUTHENTICATED_PEER}.
 * A peer RPC without it did not come through the gateway and is refused.
 */
public class ForwardedPeerInterceptor implements ServerInterceptor {

    private final Set<String> peerServices;

    /** @param peerServices full names of the services that remote nodes call, e.g. {@code p2p.dht.v1.DhtPeer} */
    protected ForwardedPeerInterceptor(Set<String> peerServices) {
        this.peerServices = Set.copyOf(peerServices);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                        ServerCallHandler<Q, R> next) {
        if (!peerServices.contains(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        String peer = headers.get(PeerMetadata.PEER_ID);
        NodeId id;
        try {
            id = peer == null ? null : NodeId.fromHex(peer);
        } catch (IllegalArgumentException e) {
            id = null;
        }
        if (id == null) {
            call.close(Status.UNAUTHENTICATED.withDescription(
                    "peer RPCs reach this service only through the node's gateway, which authenticates the caller"),
                    new Metadata());
            return new ServerCall.Listener<>() { };
        }
        return Contexts.interceptCall(Context.current().withValue(PeerMetadata.AUTHENTICATED_PEER, id),
                call, headers, next);
    }
}
