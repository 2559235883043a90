package dev.p2psuite.gateway;

import dev.p2psuite.proto.dht.v1.DhtPeerGrpc;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import dev.p2psuite.proto.search.v1.SearchPeerGrpc;
import dev.p2psuite.proto.storage.v1.PiecePeerGrpc;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;
import java.util.Set;

/**
 * The peer-facing services a remote node calls on this node, each routed to the service that owns it.
 * {@link PeerAuthentication} authenticates every call to these before it is forwarded.
 */
final class PeerRoutes {

    /** Full names of the peer-facing services; calls to them need a session token. */
    static final Set<String> PEER_SERVICES = Set.of(
            DhtPeerGrpc.SERVICE_NAME, SearchPeerGrpc.SERVICE_NAME, PiecePeerGrpc.SERVICE_NAME, RelayPeerGrpc.SERVICE_NAME);

    private PeerRoutes() {
    }

    /** Kademlia RPCs to dht-service. */
    @GrpcService
    static class DhtPeerRoute implements BindableService {
        @Inject
        InternalServices services;

        @Override
        public ServerServiceDefinition bindService() {
            return PeerRpcForwarder.forward(DhtPeerGrpc.getServiceDescriptor(), services::dht);
        }
    }

    /** Flood search to dht-service, which keeps the neighbour set (routing table and PEX). */
    @GrpcService
    static class SearchPeerRoute implements BindableService {
        @Inject
        InternalServices services;

        @Override
        public ServerServiceDefinition bindService() {
            return PeerRpcForwarder.forward(SearchPeerGrpc.getServiceDescriptor(), services::dht);
        }
    }

    /** Piece exchange to storage-service. */
    @GrpcService
    static class PiecePeerRoute implements BindableService {
        @Inject
        InternalServices services;

        @Override
        public ServerServiceDefinition bindService() {
            // Piece streams on a channel driven by the caller's own event loop: no hand-over between threads per piece.
            return PeerRpcForwarder.forward(PiecePeerGrpc.getServiceDescriptor(), services::storageOnThisThread);
        }
    }

    /** Observed address, reservations, circuits and hole punching to relay-service. */
    @GrpcService
    static class RelayPeerRoute implements BindableService {
        @Inject
        InternalServices services;

        @Override
        public ServerServiceDefinition bindService() {
            return PeerRpcForwarder.forward(RelayPeerGrpc.getServiceDescriptor(), services::relay);
        }
    }
}
