package dev.p2psuite.dht;

import dev.p2psuite.proto.dht.v1.DhtInternalGrpc;
import dev.p2psuite.proto.dht.v1.DhtPeerGrpc;
import dev.p2psuite.proto.search.v1.SearchInternalGrpc;
import dev.p2psuite.proto.search.v1.SearchPeerGrpc;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;

/**
 * The gRPC faces of dht-service. Every RPC answers UNIMPLEMENTED (the gRPC standard for a capability not
 * built) until the Kademlia core lands (issue 3); the contract is fixed in proto/.
 */
final class DhtServices {

    private DhtServices() {
    }

    /** Node-to-node Kademlia, reached through the node's gateway. */
    @GrpcService
    static class DhtPeerService implements BindableService {
        @Override
        public ServerServiceDefinition bindService() {
            return DhtPeerGrpc.bindService(new DhtPeerGrpc.AsyncService() { });
        }
    }

    /** Flood search between neighbours (issue 7), reached through the node's gateway. */
    @GrpcService
    static class SearchPeerService implements BindableService {
        @Override
        public ServerServiceDefinition bindService() {
            return SearchPeerGrpc.bindService(new SearchPeerGrpc.AsyncService() { });
        }
    }

    /** A search started by this node's client (issue 7). */
    @GrpcService
    static class SearchInternalService implements BindableService {
        @Override
        public ServerServiceDefinition bindService() {
            return SearchInternalGrpc.bindService(new SearchInternalGrpc.AsyncService() { });
        }
    }

    /** What the node's gateway asks of its DHT. */
    @GrpcService
    static class DhtInternalService implements BindableService {
        @Override
        public ServerServiceDefinition bindService() {
            return DhtInternalGrpc.bindService(new DhtInternalGrpc.AsyncService() { });
        }
    }
}
