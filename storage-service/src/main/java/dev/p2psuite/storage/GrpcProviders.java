package dev.p2psuite.storage;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.PeerDialer;
import dev.p2psuite.relay.core.DirectUpgradePolicy;
import dev.p2psuite.grpc.GrpcFutures;
import dev.p2psuite.grpc.HostPort;
import dev.p2psuite.grpc.PeerHandshake;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.NodeKeyStore;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.common.v1.Manifest;
import dev.p2psuite.proto.gateway.v1.GatewayInternalGrpc;
import dev.p2psuite.proto.gateway.v1.SelfRecordRequest;
import dev.p2psuite.proto.storage.v1.GetManifestRequest;
import dev.p2psuite.proto.storage.v1.GetManifestResponse;
import dev.p2psuite.proto.storage.v1.PiecePeerGrpc;
import dev.p2psuite.proto.storage.v1.PieceResponse;
import dev.p2psuite.proto.storage.v1.RequestPiecesRequest;
import dev.p2psuite.proto.storage.v1.WatchChokeRequest;
import dev.p2psuite.proto.storage.v1.WatchChokeResponse;
import dev.p2psuite.storage.core.Bitfield;
import dev.p2psuite.storage.core.ContentId;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Sessions with providers over gRPC: dial a provider's gateway at its host (or server-reflexive) candidate with
 * {@link GrpcChannels}, prove this node's ID with {@link PeerHandshake} (the node key from the data directory, the
 * node's signed record from its own gateway's {@code GatewayInternal/SelfRecord}), and call PiecePeer with the
 * session token. Channels are kept per address and sessions per node until shortly before they expire.
 */
final class GrpcProviders implements Provider.Connector {

    private static final Logger LOG = Logger.getLogger(GrpcProviders.class);
    /** Sessions are renewed this long before they expire. */
    static final Duration SESSION_MARGIN = Duration.ofMinutes(1);
    /** The node's record is re-read from the gateway after this long (its candidates may change). */
    static final Duration SELF_RECORD_MAX_AGE = Duration.ofSeconds(5);

    private record Self(NodeKey key, SignedPeerRecord record, Instant fetchedAt) {
    }

    /** {@code route}: the dialer's channel the session was made on (null for a direct address). */
    private record Session(GrpcProvider provider, Instant expiresAt, Channel route) {
    }

    private final Path dataDir;
    private final String gatewayAddress;
    private final Duration requestTimeout;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final Map<NodeId, Session> sessions = new ConcurrentHashMap<>();
    private volatile NodeKey key;
    private volatile Self self;
    private volatile ManagedChannel gateway;
    private volatile PeerDialer dialer;
    private final DirectUpgradePolicy.Settings upgrades;

    GrpcProviders(Path dataDir, String gatewayAddress, Duration requestTimeout, DirectUpgradePolicy.Settings upgrades) {
        this.dataDir = dataDir;
        this.gatewayAddress = gatewayAddress;
        this.requestTimeout = requestTimeout;
        this.upgrades = upgrades;
    }

    /** The dialer of providers whose record lists a relay, once one was needed; else null (metrics). */
    PeerDialer currentDialer() {
        return dialer;
    }

    @Override
    public NodeId self() {
        NodeKey k = key;
        return k == null ? null : k.nodeId();
    }

    @Override
    public CompletableFuture<Provider> connect(SignedPeerRecord record) {
        Session s = sessions.get(record.nodeId());
        boolean fresh = s != null && Instant.now().isBefore(s.expiresAt().minus(SESSION_MARGIN));
        if (fresh && s.route() == null) {
            return CompletableFuture.completedFuture(s.provider());
        }
        if (PeerDialer.hasRelayed(record)) {
            // ICE-style: direct candidates checked in parallel, else a circuit through one of its relays. The session
            // is kept while the dialer's route stays the same; when the route changes (a relayed one upgraded to a
            // hole-punched connection, or back) the next pieces go the new way (in-flight ones finish on the old).
            return identity().thenCompose(me -> dialer(me).route(record).thenCompose(route -> fresh
                    && s.route() == route.channel() ? CompletableFuture.completedFuture(s.provider())
                    : PeerHandshake.authenticateAsync(route.channel(), me.key(), me.record(), record.nodeId(), random)
                            .<Provider>thenApply(session -> {
                                GrpcProvider p = new GrpcProvider(record.nodeId(), session.attachTo(route.channel()),
                                        requestTimeout);
                                sessions.put(record.nodeId(), new Session(p, session.expiresAt(), route.channel()));
                                return p;
                            }))
                    .whenComplete((p, e) -> {
                        if (e != null) {
                            dialer(me).forget(record.nodeId());
                        }
                    }));
        }
        List<HostPort> addresses = new ArrayList<>();
        for (Candidate c : record.record().candidates()) {
            if (c.kind() == Candidate.Kind.HOST) {
                addresses.add(new HostPort(c.host(), c.port()));
            }
        }
        for (Candidate c : record.record().candidates()) {
            if (c.kind() == Candidate.Kind.SERVER_REFLEXIVE) {
                addresses.add(new HostPort(c.host(), c.port()));
            }
        }
        if (addresses.isEmpty()) { // unreachable: a record without RELAYED lists a direct candidate
            return CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("provider "
                    + record.nodeId().toHex() + " has no direct (host or server-reflexive) address; relayed-only"
                    + " providers are not dialled by storage-service").asRuntimeException());
        }
        return identity().thenCompose(me -> attempt(record, addresses, 0, me, null));
    }

    private CompletableFuture<Provider> attempt(SignedPeerRecord record, List<HostPort> addresses, int i, Self me,
                                                Throwable last) {
        if (i >= addresses.size()) {
            return CompletableFuture.failedFuture(last);
        }
        HostPort address = addresses.get(i);
        ManagedChannel channel = channels.computeIfAbsent(address.toString(), GrpcChannels::open);
        return PeerHandshake.authenticateAsync(channel, me.key(), me.record(), record.nodeId(), random)
                .<Provider>thenApply(session -> {
                    GrpcProvider p = new GrpcProvider(record.nodeId(), session.attachTo(channel), requestTimeout);
                    sessions.put(record.nodeId(), new Session(p, session.expiresAt(), null));
                    return p;
                })
                .exceptionallyCompose(e -> {
                    LOG.debugf("cannot reach provider %s at %s: %s", record.nodeId().toHex(), address, e.getMessage());
                    return attempt(record, addresses, i + 1, me, e);
                });
    }

    /** Drops a provider's session (after UNAUTHENTICATED) so the next connect authenticates again. */
    void forget(NodeId id) {
        sessions.remove(id);
    }

    private PeerDialer dialer(Self me) {
        PeerDialer d = dialer;
        if (d == null) {
            synchronized (this) {
                if (dialer == null) {
                    dialer = new PeerDialer(me.key(), () -> self.record(), random, upgrades);
                }
                d = dialer;
            }
        }
        return d;
    }

    private CompletableFuture<Self> identity() {
        Self s = self;
        if (s != null && Instant.now().isBefore(s.fetchedAt().plus(SELF_RECORD_MAX_AGE))) {
            return CompletableFuture.completedFuture(s);
        }
        NodeKey k = key;
        if (k == null) {
            synchronized (this) {
                if (key == null) {
                    key = NodeKeyStore.loadOrCreate(dataDir, random);
                }
                k = key;
            }
        }
        ManagedChannel g = gateway;
        if (g == null) {
            synchronized (this) {
                if (gateway == null) {
                    gateway = GrpcChannels.open(gatewayAddress);
                }
                g = gateway;
            }
        }
        NodeKey nodeKey = k;
        return GrpcFutures.unary(g, GatewayInternalGrpc.getSelfRecordMethod(),
                        CallOptions.DEFAULT.withDeadlineAfter(requestTimeout.toMillis(), TimeUnit.MILLISECONDS),
                        SelfRecordRequest.getDefaultInstance())
                .handle((response, e) -> {
                    if (e != null) {
                        throw Status.UNAVAILABLE.withDescription("cannot get this node's signed record from its"
                                + " gateway at " + gatewayAddress + " (needed to authenticate to providers): "
                                + e.getMessage()).asRuntimeException();
                    }
                    SignedPeerRecord record = PeerRecords.fromProto(response.getRecord(), "record");
                    if (!record.nodeId().equals(nodeKey.nodeId())) {
                        throw Status.FAILED_PRECONDITION.withDescription("the gateway speaks for node "
                                + record.nodeId().toHex() + " but this data directory holds the key of "
                                + nodeKey.nodeId().toHex()).asRuntimeException();
                    }
                    Self fresh = new Self(nodeKey, record, Instant.now());
                    self = fresh;
                    return fresh;
                });
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        if (gateway != null) {
            gateway.shutdownNow();
        }
        if (dialer != null) {
            dialer.close();
        }
    }

    /** PiecePeer over one authenticated channel. */
    static final class GrpcProvider implements Provider {
        private final NodeId id;
        private final Channel channel;
        private final Duration timeout;

        GrpcProvider(NodeId id, Channel channel, Duration timeout) {
            this.id = id;
            this.channel = channel;
            this.timeout = timeout;
        }

        @Override
        public NodeId id() {
            return id;
        }

        @Override
        public CompletableFuture<Manifest> manifest(ContentId content) {
            return GrpcFutures.unary(channel, PiecePeerGrpc.getGetManifestMethod(),
                            CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS),
                            GetManifestRequest.newBuilder().setContentId(StorageWire.toProto(content)).build())
                    .thenApply(GetManifestResponse::getManifest);
        }

        @Override
        public Cancellable watch(ContentId content, Events<WatchChokeResponse> events) {
            ClientCall<WatchChokeRequest, WatchChokeResponse> call =
                    channel.newCall(PiecePeerGrpc.getWatchChokeMethod(), CallOptions.DEFAULT);
            ClientCalls.asyncServerStreamingCall(call,
                    WatchChokeRequest.newBuilder().setContentId(StorageWire.toProto(content)).build(), observer(events));
            return () -> call.cancel("download paused or finished", null);
        }

        @Override
        public Cancellable requestPieces(ContentId content, int[] indexes, Bitfield have,
                                         Events<PieceResponse> answers) {
            ClientCall<RequestPiecesRequest, PieceResponse> call =
                    channel.newCall(PiecePeerGrpc.getRequestPiecesMethod(), CallOptions.DEFAULT);
            RequestPiecesRequest.Builder request = RequestPiecesRequest.newBuilder()
                    .setContentId(StorageWire.toProto(content));
            for (int i : indexes) {
                request.addPieceIndexes(i);
            }
            if (have != null) {
                request.setRequesterBitfield(ByteString.copyFrom(have.toBytes())); // BEP 3: tell peers what we have
            }
            ClientCalls.asyncServerStreamingCall(call, request.build(), observer(answers));
            return () -> call.cancel("request withdrawn", null);
        }

        private static <T> StreamObserver<T> observer(Events<T> events) {
            return new StreamObserver<>() {
                @Override
                public void onNext(T value) {
                    events.onNext(value);
                }

                @Override
                public void onError(Throwable t) {
                    events.onEnd(t);
                }

                @Override
                public void onCompleted() {
                    events.onEnd(null);
                }
            };
        }
    }
}
