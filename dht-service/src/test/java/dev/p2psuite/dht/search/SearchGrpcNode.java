package dev.p2psuite.dht.search;

import dev.p2psuite.dht.DhtPeerGrpcService;
import dev.p2psuite.dht.GrpcPeerRpc;
import dev.p2psuite.dht.RunningDht;
import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.DhtSettings;
import dev.p2psuite.dht.core.Endpoint;
import dev.p2psuite.dht.core.Scheduler;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.PeerAuthService;
import dev.p2psuite.grpc.PeerHandshake;
import dev.p2psuite.grpc.PeerSessionInterceptor;
import dev.p2psuite.grpc.WireLimits;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerAuthenticator;
import dev.p2psuite.identity.PeerRecordBook;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.dht.v1.DhtPeerGrpc;
import dev.p2psuite.proto.search.v1.SearchInternalGrpc;
import dev.p2psuite.proto.search.v1.SearchPeerGrpc;
import dev.p2psuite.proto.search.v1.SearchRequest;
import dev.p2psuite.proto.search.v1.SearchResponse;
import dev.p2psuite.proto.search.v1.StatsRequest;
import dev.p2psuite.proto.search.v1.StatsResponse;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * A node as a real gRPC server on loopback (an ephemeral port), serving what its gateway and dht-service together
 * would: PeerAuth, DhtPeer and SearchPeer behind session checks, and SearchInternal. Its flood search runs the
 * service's own adapters ({@link SearchPeerGrpcService.Handlers}, {@link GrpcSearchRpc} over {@link GrpcPeerRpc})
 * and a {@link DhtNode}; neighbours are either a fixed list the test sets or the DHT's routing table.
 */
final class SearchGrpcNode implements AutoCloseable {

    static final SecureRandom RANDOM = new SecureRandom();

    final NodeKey key = NodeKey.generate(RANDOM);
    final PeerRecordBook book = new PeerRecordBook(10_000);
    final SignedPeerRecord record;
    final Server server;
    final GrpcPeerRpc rpc;
    final DhtNode dht;
    final MetadataIndex index = new MetadataIndex();
    final FloodSearch search;
    /** The neighbours when fixed (set them before the first search). */
    final List<Contact> neighbours = new CopyOnWriteArrayList<>();
    final ManagedChannel channel;
    private final ScheduledExecutorService dhtThread = Executors.newSingleThreadScheduledExecutor();
    private final ScheduledExecutorService searchThread = Executors.newSingleThreadScheduledExecutor();

    /**
     * @param bootstrap null: fixed neighbours ({@link #neighbours}) and a standalone DHT; else the DHT joins through
     *                  it and neighbours come from the routing table
     * @param searchPeerOverride a SearchPeer to serve instead of the real one (a liar's), or null
     */
    SearchGrpcNode(SearchSettings settings, Endpoint bootstrap, BindableService searchPeerOverride) throws Exception {
        SignedPeerRecord[] self = new SignedPeerRecord[1];
        PeerAuthenticator auth = new PeerAuthenticator(key, () -> self[0], book, InstantSource.system(), RANDOM);
        RunningDht dhtHolder = new RunningDht() {
            @Override
            public DhtNode require() {
                return dht;
            }

            @Override
            public PeerRecordBook peers() {
                return book;
            }
        };
        RunningSearch searchHolder = new RunningSearch() {
            @Override
            public FloodSearch require() {
                return search;
            }

            @Override
            public MetadataIndex index() {
                return index;
            }
        };
        PeerSessionInterceptor sessions = new PeerSessionInterceptor(auth, book,
                Set.of(DhtPeerGrpc.SERVICE_NAME, SearchPeerGrpc.SERVICE_NAME));
        BindableService searchPeer = searchPeerOverride != null ? searchPeerOverride
                : () -> SearchPeerGrpc.bindService(new SearchPeerGrpcService.Handlers(searchHolder, InstantSource.system()));
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .maxInboundMessageSize(WireLimits.MAX_MESSAGE_BYTES)
                .addService(new PeerAuthService(auth))
                .addService(ServerInterceptors.intercept(DhtPeerGrpc.bindService(new DhtPeerGrpcService.Handlers(dhtHolder)),
                        sessions))
                .addService(ServerInterceptors.intercept(searchPeer.bindService(), sessions))
                .addService(SearchInternalGrpc.bindService(new SearchInternalGrpcService.Handlers(searchHolder)))
                .build().start();
        record = SignedPeerRecord.sign(key, System.currentTimeMillis(), List.of(Candidate.host("127.0.0.1", server.getPort())));
        self[0] = record;
        Duration timeout = Duration.ofSeconds(2);
        rpc = new GrpcPeerRpc(key, () -> record, book, InstantSource.system(), RANDOM, timeout);
        DhtSettings.Builder ds = DhtSettings.builder().requestTimeout(timeout);
        ds = bootstrap == null ? ds.standalone(true) : ds.bootstrapEndpoints(List.of(bootstrap));
        dht = new DhtNode(Contact.of(record), key, ds.build(), rpc, Scheduler.of(dhtThread), dhtThread,
                InstantSource.system(), RandomGenerator.of("L64X128MixRandom"));
        NeighbourSource source = bootstrap == null ? () -> {
            List<NeighbourSelector.Candidate> out = new ArrayList<>();
            for (int i = 0; i < neighbours.size(); i++) {
                out.add(new NeighbourSelector.Candidate(neighbours.get(i), i, System.currentTimeMillis(), 0));
            }
            return java.util.concurrent.CompletableFuture.completedFuture(out);
        } : NeighbourSource.routingTable(dht);
        search = new FloodSearch(key, () -> record, settings, index, source, new GrpcSearchRpc(rpc, InstantSource.system()),
                Scheduler.of(searchThread), searchThread, InstantSource.system(), RANDOM);
        channel = GrpcChannels.open("127.0.0.1:" + server.getPort());
    }

    SearchGrpcNode(SearchSettings settings) throws Exception {
        this(settings, null, null);
    }

    Contact contact() {
        return Contact.of(record);
    }

    Endpoint endpoint() {
        return new Endpoint("127.0.0.1", server.getPort());
    }

    /** Floods to {@code to} (fixed neighbours). */
    SearchGrpcNode linkTo(SearchGrpcNode... to) {
        for (SearchGrpcNode n : to) {
            neighbours.add(n.contact());
        }
        return this;
    }

    /** SearchInternal.Search through this node's own server, as its gateway would; all responses. */
    List<SearchResponse> search(int ttl, int timeoutMs, String... terms) {
        Iterator<SearchResponse> it = SearchInternalGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .search(SearchRequest.newBuilder().addAllTerms(List.of(terms)).setTtl(ttl).setTimeoutMs(timeoutMs).build());
        List<SearchResponse> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    StatsResponse stats() {
        return SearchInternalGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .stats(StatsRequest.getDefaultInstance());
    }

    /** A SearchPeer stub authenticated as {@code caller} (a session from this node's PeerAuth). */
    SearchPeerGrpc.SearchPeerBlockingStub peerStub(NodeKey caller, SignedPeerRecord callerRecord) throws Exception {
        PeerHandshake.PeerSession session = PeerHandshake.authenticate(channel, caller, callerRecord, key.nodeId(), RANDOM);
        return session.attachTo(SearchPeerGrpc.newBlockingStub(channel));
    }

    @Override
    public void close() {
        dht.close();
        rpc.close();
        channel.shutdownNow();
        server.shutdownNow();
        dhtThread.shutdownNow();
        searchThread.shutdownNow();
    }
}
