package dev.p2psuite.dht.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerRecord;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.search.v1.QueryRequest;
import dev.p2psuite.proto.search.v1.QueryResponse;
import dev.p2psuite.proto.search.v1.SearchHit;
import dev.p2psuite.proto.search.v1.SearchInternalGrpc;
import dev.p2psuite.proto.search.v1.SearchPeerGrpc;
import dev.p2psuite.proto.search.v1.SearchRequest;
import dev.p2psuite.proto.search.v1.SearchResponse;
import io.grpc.BindableService;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SearchPeer and SearchInternal over real gRPC: several nodes in this JVM, each a server on loopback with the
 * handshake, sessions and the service's own search adapters.
 */
class SearchPeerGrpcTest {

    private final List<SearchGrpcNode> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.forEach(SearchGrpcNode::close);
    }

    private SearchGrpcNode node(SearchSettings settings) throws Exception {
        SearchGrpcNode n = new SearchGrpcNode(settings);
        nodes.add(n);
        return n;
    }

    private SearchGrpcNode node() throws Exception {
        return node(SearchSettings.defaults());
    }

    static IndexedContent content(String name, String mediaType, String... tags) throws Exception {
        byte[] id = new byte[34];
        id[0] = 0x12;
        id[1] = 0x20;
        System.arraycopy(MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8)), 0, id, 2, 32);
        return new IndexedContent(id, name, 4_242, mediaType, List.of(tags));
    }

    @Test
    void contentIndexedOnCIsFoundFromAThroughB() throws Exception {
        SearchGrpcNode a = node();
        SearchGrpcNode b = node();
        SearchGrpcNode c = node();
        a.linkTo(b);
        b.linkTo(c);
        IndexedContent bunny = content("Big Buck Bunny.mp4", "video/mp4", "animation");
        c.index.replaceAll(List.of(bunny));

        List<SearchResponse> hits = a.search(0, 5_000, "BUNNY", "video");

        assertThat(hits).singleElement().satisfies(r -> {
            SearchHit h = r.getHit();
            assertThat(h.getContentId().getValue().toByteArray()).isEqualTo(bunny.contentId());
            assertThat(h.getName()).isEqualTo("Big Buck Bunny.mp4");
            assertThat(h.getSizeBytes()).isEqualTo(4_242);
            assertThat(h.getMediaType()).isEqualTo("video/mp4");
            assertThat(h.getTagsList()).containsExactly("animation");
            assertThat(PeerRecords.fromProto(h.getProvider(), "provider")).isEqualTo(c.record);
            assertThat(h.getSignature().size()).isEqualTo(64);
            assertThat(h.getHops()).as("C -> B -> A").isEqualTo(2);
        });
        assertThat(b.stats().getQueriesReceived()).isEqualTo(1);
        assertThat(b.stats().getQueriesForwarded()).isEqualTo(1);
        assertThat(b.stats().getHitsReturned()).as("B relayed C's hit").isEqualTo(1);
        assertThat(c.stats().getHitsReturned()).isEqualTo(1);
        assertThat(a.stats().getQueriesOriginated()).isEqualTo(1);
        assertThat(a.stats().getNeighbours()).isEqualTo(1);
    }

    @Test
    void aNodeAnswersAQueryOnceHoweverManyPathsReachIt() throws Exception {
        SearchGrpcNode a = node();
        SearchGrpcNode b = node();
        SearchGrpcNode c = node();
        SearchGrpcNode d = node();
        a.linkTo(b, c);
        b.linkTo(c, d);
        c.linkTo(b, d);
        d.linkTo(a, b, c);
        d.index.replaceAll(List.of(content("Sintel.mkv", "video/x-matroska")));

        List<SearchResponse> hits = a.search(4, 5_000, "sintel");

        assertThat(hits).hasSize(1);
        assertThat(PeerRecords.fromProto(hits.get(0).getHit().getProvider(), "p").nodeId()).isEqualTo(d.key.nodeId());
        var ds = d.stats();
        assertThat(ds.getQueriesReceived()).as("from B and from C").isEqualTo(2);
        assertThat(ds.getQueriesDuplicate()).isEqualTo(1);
        assertThat(ds.getHitsReturned()).as("answered once").isEqualTo(1);
        long handled = 0;
        for (SearchGrpcNode n : List.of(b, c, d)) {
            handled += n.stats().getQueriesReceived() - n.stats().getQueriesDuplicate();
        }
        assertThat(handled).as("each other node ran the query once").isEqualTo(3);
    }

    @Test
    void aQueryStopsTravellingWhenItsTtlIsSpent() throws Exception {
        SearchGrpcNode a = node();
        SearchGrpcNode b = node();
        SearchGrpcNode c = node();
        a.linkTo(b);
        b.linkTo(c);
        c.index.replaceAll(List.of(content("Tears of Steel.mp4", "video/mp4")));

        assertThat(a.search(1, 3_000, "tears")).as("TTL 1 reaches B only").isEmpty();
        assertThat(b.stats().getQueriesReceived()).isEqualTo(1);
        assertThat(b.stats().getQueriesForwarded()).as("B got ttl 1: answered, not forwarded").isZero();
        assertThat(c.stats().getQueriesReceived()).isZero();

        assertThat(a.search(2, 3_000, "tears")).hasSize(1);
        assertThat(c.stats().getQueriesReceived()).isEqualTo(1);
    }

    @Test
    void forwardsBeyondThePerNeighbourRateAreDropped() throws Exception {
        // 0.05 queries/s to any one neighbour: a burst of one, then one every 20 s.
        SearchGrpcNode a = node(SearchSettings.defaults().withForwardRates(0.05, 100));
        SearchGrpcNode b = node();
        a.linkTo(b);
        b.index.replaceAll(List.of(content("Cosmos Laundromat.mp4", "video/mp4")));

        int found = 0;
        for (int i = 0; i < 3; i++) {
            found += a.search(1, 2_000, "cosmos").size();
        }

        assertThat(found).as("only the first search reached B").isEqualTo(1);
        assertThat(b.stats().getQueriesReceived()).isEqualTo(1);
        assertThat(a.stats().getQueriesRateLimited()).isEqualTo(2);
        assertThat(a.stats().getQueriesForwarded()).isEqualTo(1);
    }

    @Test
    void aCallerOverItsQueryRateGetsResourceExhausted() throws Exception {
        SearchGrpcNode b = node(SearchSettings.defaults().withQueryRatePerPeer(0.1)); // burst 1, then one per 10 s
        NodeKey caller = NodeKey.generate(SearchGrpcNode.RANDOM);
        SignedPeerRecord callerRecord = SignedPeerRecord.sign(caller, 1, List.of(Candidate.host("127.0.0.1", 1)));
        SearchPeerGrpc.SearchPeerBlockingStub stub = b.peerStub(caller, callerRecord);

        drain(stub.withDeadlineAfter(5, TimeUnit.SECONDS).query(query(0).build()));
        assertThatThrownBy(() -> drain(stub.withDeadlineAfter(5, TimeUnit.SECONDS).query(query(1).build())))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getStatus().getDescription()).contains(caller.nodeId().toHex())
                            .contains("0.1 queries/s, burst 1");
                });
    }

    @Test
    void malformedQueriesAreRefusedWithInvalidArgumentAndAPreciseMessage() throws Exception {
        SearchGrpcNode b = node();
        NodeKey caller = NodeKey.generate(SearchGrpcNode.RANDOM);
        SignedPeerRecord callerRecord = SignedPeerRecord.sign(caller, 1, List.of(Candidate.host("127.0.0.1", 1)));
        SearchPeerGrpc.SearchPeerBlockingStub stub = b.peerStub(caller, callerRecord);
        record Case(Consumer<QueryRequest.Builder> change, String message) {
        }
        SignedPeerRecord forged = new SignedPeerRecord(new PeerRecord(caller.nodeId(), new byte[32], 1,
                List.of(Candidate.host("127.0.0.1", 1))), new byte[64]);
        List<Case> cases = List.of(
                new Case(q -> q.setQueryId(ByteString.copyFrom(new byte[15])), "query_id must be 16 bytes, got 15"),
                new Case(q -> q.setQueryId(ByteString.EMPTY), "query_id must be 16 bytes, got 0"),
                new Case(q -> q.setTtl(0), "ttl must be 1..7, got 0"),
                new Case(q -> q.setTtl(8), "ttl must be 1..7, got 8"),
                new Case(q -> q.setTtl(-1), "ttl must be 1..7, got 4294967295"),
                new Case(q -> q.clearTerms(), "terms: at least one search term is required"),
                new Case(q -> q.clearTerms().addAllTerms(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i")),
                        "terms: at most 8 terms, got 9"),
                new Case(q -> q.addTerms(""), "terms[1] is empty; each term is 1..64 bytes"),
                new Case(q -> q.addTerms("x".repeat(65)), "terms[1] is 65 bytes of UTF-8; at most 64"),
                new Case(q -> q.setMaxHits(101), "max_hits must be 0..100 (0 = 100), got 101"),
                new Case(q -> q.setOrigin(PeerRecords.toProto(forged).toBuilder().setRecord(
                                PeerRecords.toProto(forged).getRecord().toBuilder().setNodeId(ByteString.copyFrom(new byte[3])))),
                        "origin.record.node_id must be 20 bytes, got 3"));
        int i = 0;
        for (Case k : cases) {
            QueryRequest.Builder q = query(100 + i++);
            k.change().accept(q);
            assertThatThrownBy(() -> drain(stub.withDeadlineAfter(5, TimeUnit.SECONDS).query(q.build())))
                    .as(k.message())
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).startsWith(k.message());
                    });
        }
        assertThat(b.stats().getQueriesInvalid()).isEqualTo(cases.size());
    }

    @Test
    void malformedSearchesAreRefusedWithInvalidArgumentAndAPreciseMessage() throws Exception {
        SearchGrpcNode a = node();
        record Case(SearchRequest request, String message) {
        }
        for (Case k : List.of(
                new Case(SearchRequest.newBuilder().build(), "terms: at least one search term is required"),
                new Case(SearchRequest.newBuilder().addTerms("x").setTtl(8).build(), "ttl must be 0..7 (0 = 4), got 8"),
                new Case(SearchRequest.newBuilder().addTerms("x").setMaxHits(1001).build(),
                        "max_hits must be 0..1000 (0 = 100), got 1001"),
                new Case(SearchRequest.newBuilder().addTerms("x").setTimeoutMs(30_001).build(),
                        "timeout_ms must be 0..30000 (0 = 5000), got 30001"),
                new Case(SearchRequest.newBuilder().addTerms("é".repeat(33)).build(),
                        "terms[0] is 66 bytes of UTF-8; at most 64"))) {
            assertThatThrownBy(() -> drain(SearchInternalGrpc.newBlockingStub(a.channel)
                    .withDeadlineAfter(5, TimeUnit.SECONDS).search(k.request())))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).isEqualTo(k.message());
                    });
        }
    }

    @Test
    void aQueryWithoutASessionIsRefused() throws Exception {
        SearchGrpcNode b = node();
        assertThatThrownBy(() -> drain(SearchPeerGrpc.newBlockingStub(b.channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .query(query(1).build())))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }

    @Test
    void forgedOrAlteredHitsAreDroppedOnTheWayBackAndOnlyGenuineOnesArrive() throws Exception {
        // A -> B -> L, where L answers with one genuine hit and five bad ones. B (the relay) drops the bad ones.
        SearchGrpcNode a = node();
        SearchGrpcNode b = node();
        SearchGrpcNode victim = node();
        IndexedContent real = content("Elephants Dream.avi", "video/x-msvideo");
        Liar liar = new Liar(real, victim.record);
        SearchGrpcNode l = new SearchGrpcNode(SearchSettings.defaults(), null, liar);
        nodes.add(l);
        liar.self = l;
        a.linkTo(b);
        b.linkTo(l);

        List<SearchResponse> hits = a.search(3, 5_000, "elephants");

        assertThat(hits).singleElement().satisfies(r -> {
            assertThat(PeerRecords.fromProto(r.getHit().getProvider(), "p").nodeId()).isEqualTo(l.key.nodeId());
            assertThat(r.getHit().getName()).isEqualTo("Elephants Dream.avi");
            assertThat(r.getHit().getHops()).isEqualTo(2);
        });
        assertThat(b.stats().getHitsDropped()).isEqualTo(5);
        assertThat(b.stats().getHitsReturned()).isEqualTo(1);
        assertThat(a.stats().getHitsDropped()).isZero();
    }

    @Test
    void aSearchOverTheDhtNeighboursFindsContentOnAnotherNode() throws Exception {
        SearchGrpcNode first = node();
        first.dht.start().get(10, TimeUnit.SECONDS);
        List<SearchGrpcNode> joined = new ArrayList<>(List.of(first));
        for (int i = 0; i < 4; i++) {
            SearchGrpcNode n = new SearchGrpcNode(SearchSettings.defaults(), first.endpoint(), null);
            nodes.add(n);
            n.dht.start().get(20, TimeUnit.SECONDS);
            joined.add(n);
        }
        SearchGrpcNode holder = joined.get(4);
        holder.index.replaceAll(List.of(content("Caminandes Llama Drama.webm", "video/webm", "llama")));
        SearchGrpcNode asker = joined.get(1);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(asker.dht.routingTable(false).get().stream().mapToInt(bk -> bk.contacts().size()).sum())
                        .isGreaterThanOrEqualTo(2));

        List<SearchResponse> hits = asker.search(2, 5_000, "llama", "video");

        assertThat(hits).extracting(r -> PeerRecords.fromProto(r.getHit().getProvider(), "p").nodeId())
                .containsExactly(holder.key.nodeId());
        assertThat(asker.stats().getNeighbours()).isBetween(2, 8);
    }

    private static QueryRequest.Builder query(int n) {
        byte[] id = new byte[16];
        id[0] = (byte) n;
        id[1] = (byte) (n >> 8);
        id[15] = 7;
        return QueryRequest.newBuilder().setQueryId(ByteString.copyFrom(id)).setTtl(1).addTerms("anything");
    }

    private static <T> List<T> drain(Iterator<T> it) {
        List<T> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    /** A SearchPeer that answers every query with one genuine hit and five forged or altered ones. */
    static final class Liar implements BindableService {
        final IndexedContent real;
        final SignedPeerRecord victim;
        volatile SearchGrpcNode self;

        Liar(IndexedContent real, SignedPeerRecord victim) {
            this.real = real;
            this.victim = victim;
        }

        @Override
        public io.grpc.ServerServiceDefinition bindService() {
            return SearchPeerGrpc.bindService(new SearchPeerGrpc.AsyncService() {
                @Override
                public void query(QueryRequest request, StreamObserver<QueryResponse> responses) {
                    byte[] qid = request.getQueryId().toByteArray();
                    Hit genuine = Hit.own(qid, real, self.record, self.key);
                    List<Hit> bad = List.of(
                            // signed by the liar, attributed to another node
                            new Hit(real.contentId(), real.name(), real.sizeBytes(), real.mediaType(), real.tags(),
                                    victim, genuine.signature(), 0),
                            // name changed after signing
                            new Hit(real.contentId(), "Elephants Dream (director's cut).avi", real.sizeBytes(),
                                    real.mediaType(), real.tags(), self.record, genuine.signature(), 0),
                            // size changed after signing
                            new Hit(real.contentId(), real.name(), 1, real.mediaType(), real.tags(), self.record,
                                    genuine.signature(), 0),
                            // signed for another query
                            Hit.own(new byte[16], real, self.record, self.key),
                            // a provider record with a broken signature
                            new Hit(real.contentId(), real.name(), real.sizeBytes(), real.mediaType(), real.tags(),
                                    new SignedPeerRecord(self.record.record(), new byte[64]), genuine.signature(), 0));
                    QueryResponse.Builder b = QueryResponse.newBuilder();
                    for (Hit h : bad) {
                        b.addHits(SearchWire.toProto(h));
                    }
                    b.addHits(SearchWire.toProto(genuine));
                    responses.onNext(b.build());
                    responses.onCompleted();
                }
            });
        }
    }
}
