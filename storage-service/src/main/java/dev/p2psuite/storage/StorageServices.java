package dev.p2psuite.storage;

import dev.p2psuite.proto.storage.v1.PiecePeerGrpc;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;

/**
 * The gRPC faces of storage-service. Every RPC answers UNIMPLEMENTED (the gRPC standard for a capability not
 * built) until the piece store and exchange land (issue 4); the contract is fixed in proto/.
 */
final class StorageServices {

    private StorageServices() {
    }

    /** Node-to-node piece exchange, reached through the node's gateway. */
    @GrpcService
    static class PiecePeerService implements BindableService {
        @Override
        public ServerServiceDefinition bindService() {
            return PiecePeerGrpc.bindService(new PiecePeerGrpc.AsyncService() { });
        }
    }

    /** What the node's gateway asks of its storage. */
    @GrpcService
    static class StorageInternalService implements BindableService {
        @Override
        public ServerServiceDefinition bindService() {
            return StorageInternalGrpc.bindService(new StorageInternalGrpc.AsyncService() { });
        }
    }
}
