package dev.p2psuite.gateway;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.GrpcFutures;
import static dev.p2psuite.gateway.InternalCalls.dhtCall;
import static dev.p2psuite.gateway.InternalCalls.relay;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.dht.v1.DhtInternalGrpc;
import dev.p2psuite.proto.dht.v1.StatsRequest;
import dev.p2psuite.proto.gateway.v1.DeleteContentRequest;
import dev.p2psuite.proto.gateway.v1.DeleteContentResponse;
import dev.p2psuite.proto.gateway.v1.DhtKey;
import dev.p2psuite.proto.gateway.v1.FindProvidersRequest;
import dev.p2psuite.proto.gateway.v1.FindProvidersResponse;
import dev.p2psuite.proto.gateway.v1.GetContentRequest;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.ListContentRequest;
import dev.p2psuite.proto.gateway.v1.ListContentResponse;
import dev.p2psuite.proto.gateway.v1.PutContentRequest;
import dev.p2psuite.proto.gateway.v1.PutContentResponse;
import dev.p2psuite.proto.gateway.v1.StatRequest;
import dev.p2psuite.proto.gateway.v1.StatResponse;
import dev.p2psuite.proto.gateway.v1.GetValueRequest;
import dev.p2psuite.proto.gateway.v1.GetValueResponse;
import dev.p2psuite.proto.gateway.v1.PeerInfo;
import dev.p2psuite.proto.gateway.v1.PutValueRequest;
import dev.p2psuite.proto.gateway.v1.PutValueResponse;
import dev.p2psuite.proto.gateway.v1.RoutingBucket;
import dev.p2psuite.proto.gateway.v1.RoutingTableRequest;
import dev.p2psuite.proto.gateway.v1.RoutingTableResponse;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.gateway.v1.NodeInfoRequest;
import dev.p2psuite.proto.gateway.v1.NodeInfoResponse;
import dev.p2psuite.proto.gateway.v1.ServiceState;
import dev.p2psuite.proto.gateway.v1.ServiceStatus;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.TreeMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The client API (node_api.proto): content through {@link ContentApi}; NodeInfo; the DHT's PutValue, GetValue
 * and RoutingTable through the node's dht-service. Peers and Search answer UNIMPLEMENTED until they land.
 */
@GrpcService
public class NodeApiGrpcService extends NodeApiGrpc.NodeApiImplBase {

    private final NodeIdentity identity;
    private final InternalServices services;
    private final ContentApi content;
    private final GatewayConfig config;
    private final String version;
    private final long startedUnixMs = System.currentTimeMillis();

    NodeApiGrpcService(NodeIdentity identity, InternalServices services, ContentApi content, GatewayConfig config,
                       @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev") String version) {
        this.identity = identity;
        this.services = services;
        this.content = content;
        this.config = config;
        this.version = version;
    }

    /** Longest name accepted as a DHT key (its SHA-1 is the key). */
    static final int MAX_KEY_NAME_BYTES = 256;

    @Override
    public StreamObserver<PutContentRequest> putContent(StreamObserver<PutContentResponse> responses) {
        return content.put(responses);
    }

    @Override
    public void getContent(GetContentRequest request, StreamObserver<GetContentResponse> responses) {
        content.get(request, responses);
    }

    @Override
    public void stat(StatRequest request, StreamObserver<StatResponse> responses) {
        content.stat(request, responses);
    }

    @Override
    public void listContent(ListContentRequest request, StreamObserver<ListContentResponse> responses) {
        content.list(request, responses);
    }

    @Override
    public void deleteContent(DeleteContentRequest request, StreamObserver<DeleteContentResponse> responses) {
        content.delete(request, responses);
    }

    @Override
    public void findProviders(FindProvidersRequest request, StreamObserver<FindProvidersResponse> responses) {
        content.findProviders(request, responses);
    }

    @Override
    public void putValue(PutValueRequest request, StreamObserver<PutValueResponse> responses) {
        NodeId key = dhtKeyOrRefuse(request.getKey(), responses);
        if (key == null) {
            return;
        }
        relay(responses, GrpcFutures.unary(services.dht(), DhtInternalGrpc.getPutValueMethod(), dhtCall(),
                dev.p2psuite.proto.dht.v1.PutValueRequest.newBuilder().setKey(ByteString.copyFrom(key.bytes()))
                        .setValue(request.getValue()).setTtlSeconds(request.getTtlSeconds()).build()),
                put -> PutValueResponse.newBuilder().setKey(put.getRecord().getKey()).setSeq(put.getRecord().getSeq())
                        .setExpiresAtUnixMs(put.getRecord().getExpiresAtUnixMs()).setStoredCount(put.getStoredCount())
                        .build());
    }

    @Override
    public void getValue(GetValueRequest request, StreamObserver<GetValueResponse> responses) {
        NodeId key = dhtKeyOrRefuse(request.getKey(), responses);
        if (key == null) {
            return;
        }
        relay(responses, GrpcFutures.unary(services.dht(), DhtInternalGrpc.getGetValueMethod(), dhtCall(),
                dev.p2psuite.proto.dht.v1.GetValueRequest.newBuilder().setKey(ByteString.copyFrom(key.bytes())).build()),
                got -> GetValueResponse.newBuilder().setKey(got.getRecord().getKey()).setValue(got.getRecord().getValue())
                        .setPublisherNodeId(HexFormat.of().formatHex(
                                got.getRecord().getPublisher().getRecord().getNodeId().toByteArray()))
                        .setSeq(got.getRecord().getSeq()).setExpiresAtUnixMs(got.getRecord().getExpiresAtUnixMs())
                        .build());
    }

    @Override
    public void routingTable(RoutingTableRequest request, StreamObserver<RoutingTableResponse> responses) {
        relay(responses, GrpcFutures.unary(services.dht(), DhtInternalGrpc.getRoutingTableMethod(), dhtCall(),
                dev.p2psuite.proto.dht.v1.RoutingTableRequest.getDefaultInstance()), table -> {
                    RoutingTableResponse.Builder out = RoutingTableResponse.newBuilder()
                            .setSelfNodeId(HexFormat.of().formatHex(table.getSelfId().toByteArray()))
                            .setSize(table.getSize());
                    for (dev.p2psuite.proto.dht.v1.Bucket b : table.getBucketsList()) {
                        RoutingBucket.Builder bucket = RoutingBucket.newBuilder().setIndex(b.getIndex())
                                .setReplacementCount(b.getReplacementCount())
                                .setLastRefreshedUnixMs(b.getLastRefreshedUnixMs());
                        for (dev.p2psuite.proto.common.v1.Contact c : b.getContactsList()) {
                            bucket.addContacts(PeerInfo.newBuilder()
                                    .setNodeId(HexFormat.of().formatHex(c.getRecord().getRecord().getNodeId().toByteArray()))
                                    .setRecord(c.getRecord()).setLastSeenUnixMs(c.getLastSeenUnixMs()));
                        }
                        out.addBuckets(bucket);
                    }
                    return out.build();
                });
    }

    /** The key a client means, or null after answering INVALID_ARGUMENT with what is wrong with it. */
    private static NodeId dhtKeyOrRefuse(DhtKey key, StreamObserver<?> responses) {
        try {
            return dhtKey(key);
        } catch (IllegalArgumentException e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return null;
        }
    }

    /** The 20-byte key a client means: given raw, or SHA-1 of a name. */
    static NodeId dhtKey(DhtKey key) {
        switch (key.getKeyCase()) {
            case RAW:
                return PeerRecords.nodeId(key.getRaw(), "key.raw");
            case NAME: {
                byte[] name = key.getName().getBytes(StandardCharsets.UTF_8);
                if (name.length == 0 || name.length > MAX_KEY_NAME_BYTES) {
                    throw new IllegalArgumentException("key.name must be 1.." + MAX_KEY_NAME_BYTES + " bytes of UTF-8, got "
                            + name.length);
                }
                try {
                    return NodeId.of(MessageDigest.getInstance("SHA-1").digest(name));
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
            default:
                throw new IllegalArgumentException("key is missing: give key.raw (20 bytes) or key.name");
        }
    }

    @Override
    @Blocking // probes the node's services
    public void nodeInfo(NodeInfoRequest request, StreamObserver<NodeInfoResponse> responses) {
        NodeInfoResponse.Builder info = NodeInfoResponse.newBuilder()
                .setNodeId(identity.key().nodeId().toHex())
                .setPublicKey(ByteString.copyFrom(identity.key().publicKey()))
                .setRecord(PeerRecords.toProto(identity.record()))
                .setVersion(version)
                .setStartedUnixMs(startedUnixMs)
                .addServices(ServiceStatus.newBuilder().setName("gateway").setState(ServiceState.SERVICE_STATE_SERVING));
        Map<String, String> addresses = Map.of(
                "dht-service", config.gateway().dhtAddress(),
                "storage-service", config.gateway().storageAddress(),
                "relay-service", config.gateway().relayAddress());
        boolean ready = true;
        for (Map.Entry<String, ManagedChannel> e : new TreeMap<>(services.all()).entrySet()) {
            String probe = InternalServicesReadiness.probe(e.getValue());
            ServiceState state = switch (probe) {
                case "SERVING" -> ServiceState.SERVICE_STATE_SERVING;
                case "NOT_SERVING" -> ServiceState.SERVICE_STATE_NOT_SERVING;
                default -> ServiceState.SERVICE_STATE_UNREACHABLE;
            };
            ready &= state == ServiceState.SERVICE_STATE_SERVING;
            info.addServices(ServiceStatus.newBuilder().setName(e.getKey()).setState(state)
                    .setAddress(addresses.get(e.getKey())).setDetail(state == ServiceState.SERVICE_STATE_SERVING ? "" : probe));
        }
        try {
            info.setRoutingTableSize(DhtInternalGrpc.newBlockingStub(services.dht())
                    .withDeadlineAfter(InternalServicesReadiness.PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .stats(StatsRequest.getDefaultInstance()).getRoutingTableSize());
        } catch (StatusRuntimeException e) {
            ready = false; // the DHT is not running yet
        }
        responses.onNext(info.setReady(ready).build());
        responses.onCompleted();
    }
}
