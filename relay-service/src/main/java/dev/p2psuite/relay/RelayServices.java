package dev.p2psuite.relay;

import dev.p2psuite.proto.relay.v1.RelayInternalGrpc;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.quarkus.grpc.GrpcService;

/**
 * The gRPC faces of relay-service. Every RPC answers UNIMPLEMENTED (the gRPC standard for a capability not
 * built) until STUN, reservations and circuits land (issue 5); the contract is fixed in proto/.
 */
final class RelayServices {

    private RelayServices() {
    }

    /** Node-to-node relay and hole-punch coordination, reached through the node's gateway. */
    @GrpcService
    static class RelayPeerService implements BindableService {
        @Override
        public ServerServiceDefinition bindService() {
            return RelayPeerGrpc.bindService(new RelayPeerGrpc.AsyncService() { });
        }
    }

    /** What the node's gateway asks of its relay. */
    @GrpcService
    static class RelayInternalService implements BindableService {
        @Override
        public ServerServiceDefinition bindService() {
            return RelayInternalGrpc.bindService(new RelayInternalGrpc.AsyncService() { });
        }
    }
}
