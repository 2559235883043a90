package dev.p2psuite.dht;

import dev.p2psuite.proto.search.v1.SearchInternalGrpc;
import dev.p2psuite.proto.search.v1.SearchPeerGrpc;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;

/**
 * Flood search (issue 7), whose RPCs answer UNIMPLEMENTED (the gRPC standard for a capability not built)
 * until it lands; the contract is fixed in proto/. The Kademlia services are DhtPeerGrpcService and
 * DhtInternalGrpcService.
 */
final class SearchServices {

    private SearchServices() {
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

}
