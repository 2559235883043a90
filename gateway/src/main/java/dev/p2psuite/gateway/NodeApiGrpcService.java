package dev.p2psuite.gateway;

import dev.p2psuite.grpc.CallThread;
import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.GrpcFutures;
import static dev.p2psuite.gateway.InternalCalls.dhtCall;
import static dev.p2psuite.gateway.InternalCalls.relay;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.dht.v1.DhtInternalGrpc;
import dev.p2psuite.proto.dht.v1.StatsRequest;
import dev.p2psuite.proto.gateway.v1.ConnectionPath;
import dev.p2psuite.proto.gateway.v1.DeleteContentRequest;
import dev.p2psuite.proto.gateway.v1.PeersRequest;
import dev.p2psuite.proto.gateway.v1.PeersResponse;
import dev.p2psuite.proto.gateway.v1.SearchRequest;
import dev.p2psuite.proto.gateway.v1.SearchResponse;
import dev.p2psuite.proto.search.v1.SearchInternalGrpc;
import dev.p2psuite.proto.storage.v1.PeerTransfer;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import dev.p2psuite.proto.storage.v1.TransferStatsRequest;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Comparator;
import java.util.function.Function;
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
 * and RoutingTable through the node's dht-service; Peers from the routing table and the transfer counters; Search
 * through the node's flood search (dht-service).
 */
@GrpcService
public class NodeApiGrpcService implements NodeApiGrpc.AsyncService, io.grpc.BindableService {

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

    /** As generated, but GetContent and PutContent move content bytes unparsed ({@link RawContentMethods}). */
    @Override
    public io.grpc.ServerServiceDefinition bindService() {
        return RawContentMethods.rebind(NodeApiGrpc.bindService(this), content);
    }

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

    /** A contact counts as a connected peer if it answered or called this node this recently. */
    static final long PEER_RECENT_MS = 15 * 60_000;

    /**
     * Peers this node talked to recently: routing-table contacts seen within {@link #PEER_RECENT_MS} and every
     * peer with piece traffic, with its transfer counters and choke state (tit-for-tat).
     */
    @Override
    public void peers(PeersRequest request, StreamObserver<PeersResponse> responses) {
        var table = GrpcFutures.unary(services.dht(), DhtInternalGrpc.getRoutingTableMethod(), dhtCall(),
                dev.p2psuite.proto.dht.v1.RoutingTableRequest.getDefaultInstance());
        var transfers = GrpcFutures.unary(services.storage(), StorageInternalGrpc.getTransferStatsMethod(),
                InternalCalls.storageCall(), TransferStatsRequest.getDefaultInstance());
        relay(responses, table.thenCombine(transfers, (t, x) -> {
            long now = System.currentTimeMillis();
            Map<String, PeerInfo.Builder> peers = new java.util.LinkedHashMap<>();
            for (dev.p2psuite.proto.dht.v1.Bucket b : t.getBucketsList()) {
                for (dev.p2psuite.proto.common.v1.Contact c : b.getContactsList()) {
                    if (now - c.getLastSeenUnixMs() <= PEER_RECENT_MS) {
                        String id = HexFormat.of().formatHex(c.getRecord().getRecord().getNodeId().toByteArray());
                        peers.put(id, PeerInfo.newBuilder().setNodeId(id).setRecord(c.getRecord())
                                .setPath(path(t, id)).setLastSeenUnixMs(c.getLastSeenUnixMs()));
                    }
                }
            }
            for (PeerTransfer p : x.getPeersList()) {
                String id = HexFormat.of().formatHex(p.getNodeId().toByteArray());
                PeerInfo.Builder peer = peers.computeIfAbsent(id, k -> PeerInfo.newBuilder().setNodeId(k)
                        .setPath(ConnectionPath.CONNECTION_PATH_DIRECT));
                peer.setBytesSent(p.getBytesSent()).setBytesReceived(p.getBytesReceived())
                        .setAmChoking(p.getAmChoking()).setPeerChoking(p.getPeerChoking())
                        .setLastSeenUnixMs(Math.max(peer.getLastSeenUnixMs(), p.getLastActivityUnixMs()));
            }
            PeersResponse.Builder out = PeersResponse.newBuilder();
            peers.values().stream().sorted(Comparator.comparingLong(PeerInfo.Builder::getLastSeenUnixMs).reversed())
                    .limit(request.getLimit() == 0 ? Long.MAX_VALUE : request.getLimit())
                    .forEach(out::addPeers);
            return out.build();
        }), Function.identity());
    }

    /** Streams the hits of a flooded query (dht-service runs it and verifies every hit). */
    @Override
    public void search(SearchRequest request, StreamObserver<SearchResponse> responses) {
        var query = dev.p2psuite.proto.search.v1.SearchRequest.newBuilder().addAllTerms(request.getTermsList())
                .setTtl(request.getTtl()).setMaxHits(request.getMaxHits()).setTimeoutMs(request.getTimeoutMs()).build();
        ServerCallStreamObserver<SearchResponse> client = (ServerCallStreamObserver<SearchResponse>) responses;
        SearchInternalGrpc.newStub(services.dht()).withExecutor(CallThread.current())
                .withDeadlineAfter(InternalCalls.DHT_CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .search(query, new ClientResponseObserver<dev.p2psuite.proto.search.v1.SearchRequest,
                        dev.p2psuite.proto.search.v1.SearchResponse>() {
                    @Override
                    public void beforeStart(ClientCallStreamObserver<dev.p2psuite.proto.search.v1.SearchRequest> call) {
                        client.setOnCancelHandler(() -> call.cancel("client cancelled the search", null));
                    }

                    @Override
                    public void onNext(dev.p2psuite.proto.search.v1.SearchResponse value) {
                        client.onNext(SearchResponse.newBuilder().setHit(searchHit(value.getHit())).build());
                    }

                    @Override
                    public void onError(Throwable t) {
                        client.onError(InternalCalls.statusOf(t).asRuntimeException());
                    }

                    @Override
                    public void onCompleted() {
                        client.onCompleted();
                    }
                });
    }

    /** A verified hit as the client API describes it (content ID in string form, provider as a PeerInfo). */
    static dev.p2psuite.proto.gateway.v1.SearchHit searchHit(dev.p2psuite.proto.search.v1.SearchHit hit) {
        var provider = hit.getProvider();
        return dev.p2psuite.proto.gateway.v1.SearchHit.newBuilder()
                .setContentId(dev.p2psuite.storage.core.ContentId.of(hit.getContentId().getValue().toByteArray()).toString())
                .setName(hit.getName()).setSizeBytes(hit.getSizeBytes()).setMediaType(hit.getMediaType())
                .addAllTags(hit.getTagsList()).setHops(hit.getHops())
                .setProvider(PeerInfo.newBuilder()
                        .setNodeId(HexFormat.of().formatHex(provider.getRecord().getNodeId().toByteArray()))
                        .setRecord(provider).setPath(ConnectionPath.CONNECTION_PATH_NONE))
                .build();
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
                            String id = HexFormat.of().formatHex(c.getRecord().getRecord().getNodeId().toByteArray());
                            bucket.addContacts(PeerInfo.newBuilder().setNodeId(id).setPath(path(table, id))
                                    .setRecord(c.getRecord()).setLastSeenUnixMs(c.getLastSeenUnixMs()));
                        }
                        out.addBuckets(bucket);
                    }
                    return out.build();
                });
    }

    /** How dht-service reaches contact {@code id}: its dialer's route, else direct (dialled at its endpoint). */
    private static ConnectionPath path(dev.p2psuite.proto.dht.v1.RoutingTableResponse table, String id) {
        return switch (table.getRoutesOrDefault(id, dev.p2psuite.proto.dht.v1.ContactRoute.CONTACT_ROUTE_DIRECT)) {
            case CONTACT_ROUTE_HOLE_PUNCHED -> ConnectionPath.CONNECTION_PATH_HOLE_PUNCHED;
            case CONTACT_ROUTE_RELAYED -> ConnectionPath.CONNECTION_PATH_RELAYED;
            default -> ConnectionPath.CONNECTION_PATH_DIRECT;
        };
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
