package dev.p2psuite.gateway;

import dev.p2psuite.grpc.HostPort;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.identity.AuthenticationException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.auth.v1.PeerAuthGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Admits a call to a peer-facing service only with a valid session token ({@link PeerMetadata#SESSION_TOKEN})
 * and makes the caller's node ID known to the forwarder. Client API, health and reflection calls pass.
 */
@GlobalInterceptor
@ApplicationScoped
public class PeerAuthInterceptor implements ServerInterceptor {

    private static final String HOW_TO = "peer RPCs need a session: call " + PeerAuthGrpc.SERVICE_NAME
            + "/Challenge then /Authenticate, and send the token as metadata '" + PeerMetadata.SESSION_TOKEN.name() + "'";

    /** The caller's transport address, {@code ip:port}, when the transport tells it. */
    static final Context.Key<String> REMOTE_ADDRESS = Context.key("p2p-remote-address");

    private final NodeIdentity identity;

    PeerAuthInterceptor(NodeIdentity identity) {
        this.identity = identity;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                        ServerCallHandler<Q, R> next) {
        if (!PeerRoutes.PEER_SERVICES.contains(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        byte[] token = headers.get(PeerMetadata.SESSION_TOKEN);
        if (token == null) {
            return refuse(call, "no session token; " + HOW_TO);
        }
        NodeId peer;
        try {
            peer = identity.authenticator().verifyToken(token);
        } catch (AuthenticationException e) {
            return refuse(call, e.getMessage() + "; " + HOW_TO);
        }
        Context context = Context.current().withValue(PeerMetadata.AUTHENTICATED_PEER, peer);
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        if (remote instanceof InetSocketAddress address) {
            context = context.withValue(REMOTE_ADDRESS, new HostPort(address.getHostString(), address.getPort()).toString());
        }
        return Contexts.interceptCall(context, call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
        call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
        return new ServerCall.Listener<>() { };
    }
}
