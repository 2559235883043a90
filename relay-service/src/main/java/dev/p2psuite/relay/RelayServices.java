package dev.p2psuite.relay;

import dev.p2psuite.grpc.HostPort;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.proto.relay.v1.ObserveAddressRequest;
import dev.p2psuite.proto.relay.v1.ObserveAddressResponse;
import dev.p2psuite.proto.relay.v1.RelayInternalGrpc;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import dev.p2psuite.proto.relay.v1.StunInfoRequest;
import dev.p2psuite.proto.relay.v1.StunInfoResponse;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import java.util.regex.Pattern;

/**
 * The gRPC faces of relay-service. Implemented: RelayPeer/ObserveAddress and RelayInternal/StunInfo (issue 5,
 * STUN). Every other RPC answers UNIMPLEMENTED (the gRPC standard for a capability not built) until
 * reservations and circuits land; the contract is fixed in proto/.
 */
final class RelayServices {

    private RelayServices() {
    }

    /** Node-to-node relay and hole-punch coordination, reached through the node's gateway. */
    @GrpcService
    static class RelayPeerService implements BindableService {

        /** What ObserveAddress accepts as the host of {@code p2p-peer-addr}: an IPv4 or IPv6 literal. */
        private static final Pattern IP_LITERAL =
                Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[\\w.-]+)?");

        @Override
        public ServerServiceDefinition bindService() {
            return RelayPeerGrpc.bindService(new RelayPeerGrpc.AsyncService() {
                @Override
                public void observeAddress(ObserveAddressRequest request,
                                           StreamObserver<ObserveAddressResponse> response) {
                    RelayPeerService.observeAddress(response);
                }
            });
        }

        /**
         * The caller's transport address as the gateway saw it (like a STUN binding over TCP, RFC 8489 §12):
         * {@link PeerMetadata#CALLER_ADDRESS}, set by {@link PeerIdentityInterceptor} from the gateway's
         * {@code p2p-peer-addr}. Without it the address cannot be known: FAILED_PRECONDITION.
         */
        static void observeAddress(StreamObserver<ObserveAddressResponse> response) {
            String seen = PeerMetadata.CALLER_ADDRESS.get();
            if (seen == null || seen.isBlank()) {
                response.onError(Status.FAILED_PRECONDITION.withDescription("the caller's address is unknown: the "
                        + "node's gateway did not pass it on (p2p-peer-addr metadata), so it cannot be observed")
                        .asRuntimeException());
                return;
            }
            HostPort address;
            try {
                address = HostPort.parse(seen);
            } catch (IllegalArgumentException e) {
                address = null;
            }
            if (address == null || !IP_LITERAL.matcher(address.host()).matches()) {
                response.onError(Status.FAILED_PRECONDITION.withDescription("the caller's address as passed on by "
                        + "the node's gateway (p2p-peer-addr) is not an ip:port: '" + seen + "'").asRuntimeException());
                return;
            }
            response.onNext(ObserveAddressResponse.newBuilder()
                    .setHost(address.host()).setPort(address.port()).build());
            response.onCompleted();
        }
    }

    /** What the node's gateway asks of its relay. */
    @GrpcService
    static class RelayInternalService implements BindableService {

        private final StunServer stun;

        RelayInternalService(StunServer stun) {
            this.stun = stun;
        }

        @Override
        public ServerServiceDefinition bindService() {
            return RelayInternalGrpc.bindService(new RelayInternalGrpc.AsyncService() {
                @Override
                public void stunInfo(StunInfoRequest request, StreamObserver<StunInfoResponse> response) {
                    response.onNext(RelayInternalService.this.stunInfo());
                    response.onCompleted();
                }
            });
        }

        /** Where the STUN binding service listens and its counters. */
        StunInfoResponse stunInfo() {
            StunInfoResponse.Builder info = StunInfoResponse.newBuilder()
                    .setEnabled(stun.enabled())
                    .setBindingSuccesses(stun.bindingSuccesses())
                    .setBindingErrors(stun.bindingErrors());
            stun.boundAddress().ifPresent(a -> info.setUdpPort(a.getPort()).addBoundAddresses(StunServer.format(a)));
            return info.build();
        }
    }
}
