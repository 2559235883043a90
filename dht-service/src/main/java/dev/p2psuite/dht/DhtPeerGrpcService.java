package dev.p2psuite.dht;

import static dev.p2psuite.dht.DhtStatus.guard;
import static dev.p2psuite.dht.DhtStatus.reply;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.PeerRpc;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.dht.v1.AddProviderRequest;
import dev.p2psuite.proto.dht.v1.AddProviderResponse;
import dev.p2psuite.proto.dht.v1.DhtPeerGrpc;
import dev.p2psuite.proto.dht.v1.ExchangePeersRequest;
import dev.p2psuite.proto.dht.v1.ExchangePeersResponse;
import dev.p2psuite.proto.dht.v1.FindNodeRequest;
import dev.p2psuite.proto.dht.v1.FindNodeResponse;
import dev.p2psuite.proto.dht.v1.FindValueRequest;
import dev.p2psuite.proto.dht.v1.FindValueResponse;
import dev.p2psuite.proto.dht.v1.GetProvidersRequest;
import dev.p2psuite.proto.dht.v1.GetProvidersResponse;
import dev.p2psuite.proto.dht.v1.PingRequest;
import dev.p2psuite.proto.dht.v1.PingResponse;
import dev.p2psuite.proto.dht.v1.StoreOutcome;
import dev.p2psuite.proto.dht.v1.StoreRequest;
import dev.p2psuite.proto.dht.v1.StoreResponse;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;

/**
 * Node-to-node Kademlia (dht_peer.proto), reached through the node's gateway, which has authenticated the
 * caller and passes on its verified record. Input is checked here; every answer comes from the core.
 */
@GrpcService
public class DhtPeerGrpcService implements BindableService {

    private final DhtRuntime runtime;

    public DhtPeerGrpcService(DhtRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public ServerServiceDefinition bindService() {
        return DhtPeerGrpc.bindService(new Handlers(runtime));
    }

    /** The handlers, usable without CDI (the gRPC benchmark serves them from plain grpc-java servers). */
    public static final class Handlers implements DhtPeerGrpc.AsyncService {
        private final RunningDht runtime;

        public Handlers(RunningDht runtime) {
            this.runtime = runtime;
        }

        @Override
        public void ping(PingRequest request, StreamObserver<PingResponse> responses) {
            guard(responses, () -> reply(responses, runtime.require().onPing(sender()),
                    self -> PingResponse.newBuilder().setResponder(PeerRecords.toProto(self.record())).build()));
        }

        @Override
        public void findNode(FindNodeRequest request, StreamObserver<FindNodeResponse> responses) {
            guard(responses, () -> {
                NodeId target = PeerRecords.nodeId(request.getTarget(), "target");
                reply(responses, runtime.require().onFindNode(sender(), target),
                        closer -> FindNodeResponse.newBuilder().addAllCloserPeers(DhtWire.toProto(closer)).build());
            });
        }

        @Override
        public void findValue(FindValueRequest request, StreamObserver<FindValueResponse> responses) {
            guard(responses, () -> {
                NodeId key = PeerRecords.nodeId(request.getKey(), "key");
                reply(responses, runtime.require().onFindValue(sender(), key), found -> {
                    FindValueResponse.Builder b = FindValueResponse.newBuilder()
                            .addAllCloserPeers(DhtWire.toProto(found.closer()));
                    if (found.record() != null) {
                        b.setRecord(DhtWire.toProto(found.record()));
                    }
                    return b.build();
                });
            });
        }

        @Override
        public void store(StoreRequest request, StreamObserver<StoreResponse> responses) {
            guard(responses, () -> {
                if (!request.hasRecord()) {
                    throw new IllegalArgumentException("record is missing");
                }
                reply(responses, runtime.require().onStore(sender(), DhtWire.fromProto(request.getRecord(), "record")),
                        outcome -> StoreResponse.newBuilder()
                                .setOutcome(switch (outcome.kind()) {
                                    case STORED -> StoreOutcome.STORE_OUTCOME_STORED;
                                    case STALE -> StoreOutcome.STORE_OUTCOME_STALE;
                                    case CONFLICT -> StoreOutcome.STORE_OUTCOME_CONFLICT;
                                })
                                .setHeldSeq(outcome.heldSeq())
                                .build());
            });
        }

        @Override
        public void addProvider(AddProviderRequest request, StreamObserver<AddProviderResponse> responses) {
            guard(responses, () -> {
                NodeId key = PeerRecords.nodeId(request.getKey(), "key");
                Contact sender = sender();
                if (!request.hasProvider()) {
                    throw new IllegalArgumentException("provider is missing");
                }
                SignedPeerRecord provider = PeerRecords.fromProto(request.getProvider(), "provider");
                if (!provider.nodeId().equals(sender.id())) { // a node announces only itself
                    throw Status.PERMISSION_DENIED.withDescription("provider " + provider.nodeId().toHex()
                            + " is not the caller " + sender.id().toHex() + "; a node can announce only itself")
                            .asRuntimeException();
                }
                provider.verify();
                reply(responses, runtime.require().onAddProvider(sender, key, Contact.of(provider), request.getTtlSeconds()),
                        accepted -> AddProviderResponse.newBuilder().setAccepted(accepted).build());
            });
        }

        @Override
        public void getProviders(GetProvidersRequest request, StreamObserver<GetProvidersResponse> responses) {
            guard(responses, () -> {
                NodeId key = PeerRecords.nodeId(request.getKey(), "key");
                reply(responses, runtime.require().onGetProviders(sender(), key),
                        (PeerRpc.FoundProviders found) -> GetProvidersResponse.newBuilder()
                                .addAllProviders(DhtWire.toProto(found.providers()))
                                .addAllCloserPeers(DhtWire.toProto(found.closer()))
                                .build());
            });
        }

        @Override
        public void exchangePeers(ExchangePeersRequest request, StreamObserver<ExchangePeersResponse> responses) {
            guard(responses, () -> {
                DhtNode node = runtime.require();
                if (request.getPeersCount() > dev.p2psuite.dht.core.Kademlia.MAX_PEERS_PER_PEX) {
                    throw new IllegalArgumentException("peers: at most " + dev.p2psuite.dht.core.Kademlia.MAX_PEERS_PER_PEX
                            + " per message (BEP 11), got " + request.getPeersCount());
                }
                var peers = DhtWire.contacts(request.getPeersList(), "peers", runtime.peers());
                int forged = request.getPeersCount() - peers.size();
                if (forged > 0) {
                    node.noteRejectedRecords(forged, true);
                }
                reply(responses, node.onExchangePeers(sender(), peers),
                        mine -> ExchangePeersResponse.newBuilder().addAllPeers(DhtWire.toProto(mine)).build());
            });
        }

        /** The authenticated caller, as a contact, from the record its gateway verified. */
        private static Contact sender() {
            SignedPeerRecord record = PeerMetadata.CALLER_RECORD.get();
            if (record == null) {
                throw Status.FAILED_PRECONDITION.withDescription("the caller's signed record did not come with the call;"
                        + " peer RPCs reach dht-service through the node's gateway after PeerAuth").asRuntimeException();
            }
            return Contact.of(record);
        }
    }
}
