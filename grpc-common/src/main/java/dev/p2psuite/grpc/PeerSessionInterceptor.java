package dev.p2psuite.grpc;

import dev.p2psuite.identity.AuthenticationException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.PeerAuthenticator;
import dev.p2psuite.identity.PeerRecordBook;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.auth.v1.PeerAuthGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;

/**
 * Admits a call to a peer-facing service only with a valid session token ({@link PeerMetadata#SESSION_TOKEN})
 * and makes the caller known to what serves it: {@link PeerMetadata#AUTHENTICATED_PEER}, and when known its
 * record and transport address. Calls to other services (client API, health, reflection) pass untouched.
 */
public class PeerSessionInterceptor implements ServerInterceptor {

    private static final String HOW_TO = "peer RPCs need a session: call " + PeerAuthGrpc.SERVICE_NAME
            + "/Challenge then /Authenticate, and send the token as metadata '" + PeerMetadata.SESSION_TOKEN.name() + "'";

    private final PeerAuthenticator authenticator;
    private final PeerRecordBook peers;
    private final Set<String> peerServices;

    /** @param peerServices full names of the services remote nodes call, e.g. {@code p2p.dht.v1.DhtPeer} */
    public PeerSessionInterceptor(PeerAuthenticator authenticator, PeerRecordBook peers, Set<String> peerServices) {
        this.authenticator = authenticator;
        this.peers = peers;
        this.peerServices = Set.copyOf(peerServices);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                        ServerCallHandler<Q, R> next) {
        if (!peerServices.contains(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        byte[] token = headers.get(PeerMetadata.SESSION_TOKEN);
        if (token == null) {
            return refuse(call, "no session token; " + HOW_TO);
        }
        NodeId peer;
        try {
            peer = authenticator.verifyToken(token);
        } catch (AuthenticationException e) {
            return refuse(call, e.getMessage() + "; " + HOW_TO);
        }
        Context context = Context.current().withValue(PeerMetadata.AUTHENTICATED_PEER, peer);
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        if (remote instanceof InetSocketAddress address) {
            context = context.withValue(PeerMetadata.CALLER_ADDRESS,
                    new HostPort(address.getHostString(), address.getPort()).toString());
        }
        SignedPeerRecord record = peers.get(peer).orElse(null);
        if (record != null) {
            context = context.withValue(PeerMetadata.CALLER_RECORD, record);
        }
        return Contexts.interceptCall(context, call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
        call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
        return new ServerCall.Listener<>() { };
    }
}
