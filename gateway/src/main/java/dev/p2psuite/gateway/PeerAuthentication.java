package dev.p2psuite.gateway;

import dev.p2psuite.grpc.PeerAuthService;
import dev.p2psuite.grpc.PeerSessionInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Singleton;

/** The gateway's side of peer authentication: the handshake service and the session check on peer RPCs. */
final class PeerAuthentication {

    private PeerAuthentication() {
    }

    /** p2p.auth.v1.PeerAuth, answered with this node's key. */
    @GrpcService
    static class Handshake extends PeerAuthService {
        Handshake(NodeIdentity identity) {
            super(identity.authenticator());
        }
    }

    /** Every call to a peer-facing service needs a session from {@link Handshake}. */
    @GlobalInterceptor
    @Singleton
    static class SessionCheck extends PeerSessionInterceptor {
        SessionCheck(NodeIdentity identity) {
            super(identity.authenticator(), identity.peers(), PeerRoutes.PEER_SERVICES);
        }
    }
}
