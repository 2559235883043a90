package dev.p2psuite.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.SignedPeerRecord;
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
 * ({@link PeerMetadata#PEER_ID}), available to handlers as {@link PeerMetadata#AUTHENTICATED_PEER}, with its
 * record and address ({@link PeerMetadata#CALLER_RECORD}, {@link PeerMetadata#CALLER_ADDRESS}) when known.
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
        Context context = Context.current().withValue(PeerMetadata.AUTHENTICATED_PEER, id)
                .withValue(PeerMetadata.CALLER_ADDRESS, headers.get(PeerMetadata.PEER_ADDRESS));
        byte[] record = headers.get(PeerMetadata.PEER_RECORD);
        if (record != null) {
            try {
                SignedPeerRecord parsed = PeerRecords.fromProto(
                        dev.p2psuite.proto.common.v1.SignedPeerRecord.parseFrom(record), PeerMetadata.PEER_RECORD.name());
                if (parsed.nodeId().equals(id)) { // the gateway verified it; a mismatch would be a wiring bug
                    context = context.withValue(PeerMetadata.CALLER_RECORD, parsed);
                }
            } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
                // without the record the call still counts; the caller just is not added as a contact
            }
        }
        return Contexts.interceptCall(context, call, headers, next);
    }
}
