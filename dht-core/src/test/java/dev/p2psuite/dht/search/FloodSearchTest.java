package dev.p2psuite.dht.search;

import static dev.p2psuite.dht.search.SearchTestNet.content;
import static dev.p2psuite.dht.search.SearchTestNet.link;
import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.dht.core.DhtRejection;
import dev.p2psuite.dht.search.SearchTestNet.Collector;
import dev.p2psuite.dht.search.SearchTestNet.Node;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.SignedPeerRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine on hand-wired topologies in virtual time (5 ms per message). */
class FloodSearchTest {

    private final SearchTestNet net = new SearchTestNet();

    @Test
    void contentHeldTwoHopsAwayIsFoundThroughTheMiddleNodeWithItsHopCount() {
        Node a = net.add("A");
        Node b = net.add("B");
        Node c = net.add("C");
        link(a, b);
        link(b, c);
        c.holds(content("Big Buck Bunny.mp4", "video/mp4", "Animation"));

        Collector r = a.search(4, "bunny", "video");

        assertThat(r.completed).isTrue();
        assertThat(r.providers()).containsExactly(c.id());
        Hit hit = r.hits.get(0);
        assertThat(hit.hops()).as("C's hit relayed by B, then handed to A's asker").isEqualTo(2);
        assertThat(hit.name()).isEqualTo("Big Buck Bunny.mp4");
        assertThat(hit.tags()).containsExactly("animation");
        assertThat(new HitVerifier().verify(c.lastQuery.id(), hit)).as("still verifiable after relaying").isTrue();
        assertThat(c.lastQuery.hops()).isEqualTo(1);
        assertThat(c.lastQuery.ttl()).isEqualTo(3);
        assertThat(c.lastQuery.origin()).isEqualTo(a.contact.record());
        assertThat(b.search.stats().hitsReturned()).isEqualTo(1);
        assertThat(a.search.stats().queriesOriginated()).isEqualTo(1);
        assertThat(a.search.stats().queriesForwarded()).isEqualTo(1);
    }

    @Test
    void theAskersOwnContentComesBackWithHopsZero() {
        Node a = net.add("A");
        a.holds(content("notes.txt", "text/plain"));
        Collector r = a.search(4, "notes");
        assertThat(r.completed).isTrue();
        assertThat(r.hits).singleElement().satisfies(h -> {
            assertThat(h.hops()).isZero();
            assertThat(h.provider().nodeId()).isEqualTo(a.id());
        });
    }

    @Test
    void aNodeAnswersAQueryOnceHoweverManyPathsReachIt() {
        // A -> B, C, E; B -> C, D; C -> B, D; E -> D: D is reached by three paths.
        Node a = net.add("A");
        Node b = net.add("B");
        Node c = net.add("C");
        Node d = net.add("D");
        Node e = net.add("E");
        link(a, b, c, e);
        link(b, c, d);
        link(c, b, d);
        link(e, d);
        link(d, a, b, c, e);
        d.holds(content("Sintel.mkv", "video/x-matroska"));

        Collector r = a.search(4, "sintel");

        assertThat(r.completed).isTrue();
        assertThat(r.providers()).as("one hit: D answered once").containsExactly(d.id());
        SearchStats ds = d.search.stats();
        assertThat(ds.queriesReceived()).isEqualTo(3);
        assertThat(ds.queriesDuplicate()).isEqualTo(2);
        assertThat(ds.hitsReturned()).isEqualTo(1);
        // D forwards only to nodes other than its first caller and the origin; they all saw it already.
        long duplicatesEverywhere = net.nodes.values().stream().mapToLong(n -> n.search.stats().queriesDuplicate()).sum();
        long received = net.nodes.values().stream().mapToLong(n -> n.search.stats().queriesReceived()).sum();
        assertThat(received - duplicatesEverywhere).as("each of the 4 other nodes handled it once").isEqualTo(4);
    }

    @Test
    void aDuplicateEndsAtOnceWithoutHits() {
        Node a = net.add("A");
        Node b = net.add("B");
        b.holds(content("Sintel.mkv", "video/x-matroska"));
        byte[] id = new byte[16];
        Collector first = new Collector(net.loop);
        Collector second = new Collector(net.loop);
        b.search.onQuery(a.id(), id, 1, 0, List.of("sintel"), 0, null, 0, first);
        b.search.onQuery(a.id(), id, 1, 0, List.of("sintel"), 0, null, 0, second);
        assertThat(second.completed).as("answered before onQuery returned").isTrue();
        assertThat(second.hits).isEmpty();
        net.run(10_000);
        assertThat(first.hits).hasSize(1);
    }

    @Test
    void aQueryIdIsForgottenAfterTheDuplicateMemory() {
        Node a = net.add("A");
        Node b = net.add("B", SearchSettings.defaults().withDuplicateMemory(Duration.ofMinutes(10)));
        b.holds(content("Sintel.mkv", "video/x-matroska"));
        byte[] id = new byte[16];
        b.search.onQuery(a.id(), id, 1, 0, List.of("sintel"), 0, null, 0, new Collector(net.loop));
        net.run(Duration.ofMinutes(10).toMillis() + 1);
        Collector late = new Collector(net.loop);
        b.search.onQuery(a.id(), id, 1, 0, List.of("sintel"), 0, null, 0, late);
        net.run(10_000);
        assertThat(late.hits).hasSize(1);
    }

    @Test
    void aQueryStopsTravellingWhenItsTtlIsSpent() {
        // A -> B -> C -> D -> E, content on D (3 hops) and E (4 hops).
        Node a = net.add("A");
        Node b = net.add("B");
        Node c = net.add("C");
        Node d = net.add("D");
        Node e = net.add("E");
        link(a, b);
        link(b, c);
        link(c, d);
        link(d, e);
        d.holds(content("Tears of Steel.mp4", "video/mp4"));
        e.holds(content("Tears of Steel (4k).mp4", "video/mp4"));

        assertThat(a.search(2, "tears").hits).as("TTL 2 reaches B and C only").isEmpty();
        assertThat(d.search.stats().queriesReceived()).isZero();
        assertThat(c.search.stats().queriesForwarded()).as("C got ttl 1: answer, do not forward").isZero();

        assertThat(a.search(3, "tears").providers()).containsExactly(d.id());
        assertThat(e.search.stats().queriesReceived()).isZero();

        assertThat(a.search(4, "tears").providers()).containsExactlyInAnyOrder(d.id(), e.id());
    }

    @Test
    void ttlPlusHopsNeverExceedsSeven() {
        Node a = net.add("A");
        Node b = net.add("B");
        Node c = net.add("C");
        link(b, c);
        c.holds(content("x.bin", ""));
        // ttl 3 at hops 5: forwarding with ttl 2 would make 2 + 6 = 8 > 7, so only ttl 1 goes on.
        b.search.onQuery(a.id(), new byte[16], 3, 5, List.of("x"), 0, null, 0, new Collector(net.loop));
        net.run(10_000);
        assertThat(c.search.stats().queriesReceived()).isEqualTo(1);
        assertThat(c.search.stats().queriesForwarded()).isZero();
        // Already 7 hops travelled: answered, never forwarded.
        b.search.onQuery(a.id(), id(1), 7, 7, List.of("x"), 0, null, 0, new Collector(net.loop));
        net.run(10_000);
        assertThat(c.search.stats().queriesReceived()).isEqualTo(1);
    }

    @Test
    void forwardsBeyondThePerNeighbourRateAreDroppedAndCounted() {
        Node a = net.add("A", SearchSettings.defaults().withForwardRates(10, 100));
        Node b = net.add("B");
        link(a, b);
        b.holds(content("Cosmos Laundromat.mp4", "video/mp4"));
        List<Collector> results = new ArrayList<>();
        for (int i = 0; i < 15; i++) { // 15 searches within the same millisecond
            Collector c = new Collector(net.loop);
            a.search.originate(new SearchParams(List.of("cosmos"), 2, 100, 5_000), c);
            results.add(c);
        }
        net.run(10_000);
        assertThat(b.search.stats().queriesReceived()).as("burst of one second's worth").isEqualTo(10);
        assertThat(a.search.stats().queriesRateLimited()).isEqualTo(5);
        assertThat(results).allSatisfy(r -> assertThat(r.completed).isTrue());
        assertThat(results.stream().filter(r -> !r.hits.isEmpty()).count()).isEqualTo(10);

        // The bucket refills at 10 a second: after 300 ms, 3 more go out.
        for (int i = 0; i < 5; i++) {
            a.search.originate(new SearchParams(List.of("cosmos"), 2, 100, 5_000), new Collector(net.loop));
        }
        net.run(10_000);
        // 10 s of virtual time passed while the earlier searches ran, so the bucket was full again.
        assertThat(b.search.stats().queriesReceived()).isEqualTo(15);
    }

    @Test
    void theTotalForwardRateCapsAllNeighboursTogether() {
        Node a = net.add("A", SearchSettings.defaults().withForwardRates(10, 12));
        List<Node> peers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Node p = net.add("P" + i);
            link(a, p);
            peers.add(p);
        }
        for (int i = 0; i < 5; i++) {
            a.search.originate(new SearchParams(List.of("x"), 1, 100, 5_000), new Collector(net.loop));
        }
        net.run(10_000);
        long delivered = peers.stream().mapToLong(p -> p.search.stats().queriesReceived()).sum();
        assertThat(delivered).isEqualTo(12);
        assertThat(a.search.stats().queriesRateLimited()).isEqualTo(20 - 12);
    }

    @Test
    void aCallerOverItsQueryRateIsRefusedWithResourceExhausted() {
        Node a = net.add("A");
        Node b = net.add("B", SearchSettings.defaults().withQueryRatePerPeer(2)); // burst 4
        List<Collector> results = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Collector c = new Collector(net.loop);
            b.search.onQuery(a.id(), id(i), 1, 0, List.of("x"), 0, null, 0, c);
            results.add(c);
        }
        assertThat(results.subList(4, 6)).allSatisfy(r -> {
            assertThat(r.failure).isNotNull();
            assertThat(r.failure.kind()).isEqualTo(DhtRejection.Kind.RESOURCE_EXHAUSTED);
            assertThat(r.failure.getMessage()).contains(a.id().toHex()).contains("2 queries/s");
        });
        assertThat(b.search.stats().queriesRefusedOverRate()).isEqualTo(2);
        // Another caller has its own budget.
        Node other = net.add("O");
        Collector fresh = new Collector(net.loop);
        b.search.onQuery(other.id(), id(99), 1, 0, List.of("x"), 0, null, 0, fresh);
        assertThat(fresh.failure).isNull();
        // Half a second later one more is allowed for A.
        net.run(500);
        Collector later = new Collector(net.loop);
        b.search.onQuery(a.id(), id(100), 1, 0, List.of("x"), 0, null, 0, later);
        assertThat(later.failure).isNull();
    }

    @Test
    void malformedQueriesAreRefusedWithPreciseMessagesAndCounted() {
        Node a = net.add("A");
        Node b = net.add("B");
        record Case(byte[] id, long ttl, List<String> terms, long maxHits, String message) {
        }
        List<Case> cases = List.of(
                new Case(new byte[15], 4, List.of("x"), 0, "query_id must be 16 bytes, got 15"),
                new Case(new byte[16], 0, List.of("x"), 0, "ttl must be 1..7, got 0"),
                new Case(new byte[16], 8, List.of("x"), 0, "ttl must be 1..7, got 8"),
                new Case(new byte[16], 4, List.of(), 0, "terms: at least one search term is required"),
                new Case(new byte[16], 4, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i"), 0,
                        "terms: at most 8 terms, got 9"),
                new Case(new byte[16], 4, List.of("ok", ""), 0, "terms[1] is empty"),
                new Case(new byte[16], 4, List.of("é".repeat(33)), 0, "terms[0] is 66 bytes of UTF-8; at most 64"),
                new Case(new byte[16], 4, List.of("x"), 101, "max_hits must be 0..100 (0 = 100), got 101"));
        for (Case k : cases) {
            Collector c = new Collector(net.loop);
            b.search.onQuery(a.id(), k.id(), k.ttl(), 0, k.terms(), k.maxHits(), null, 0, c);
            assertThat(c.failure).as(k.message()).isNotNull();
            assertThat(c.failure.kind()).isEqualTo(DhtRejection.Kind.INVALID_ARGUMENT);
            assertThat(c.failure.getMessage()).startsWith(k.message());
        }
        assertThat(b.search.stats().queriesInvalid()).isEqualTo(cases.size());
        assertThat(b.search.stats().queriesReceived()).isEqualTo(cases.size());
        // A 64-byte term is fine.
        Collector ok = new Collector(net.loop);
        b.search.onQuery(a.id(), new byte[16], 7, 0, List.of("x".repeat(64)), 100, null, 0, ok);
        assertThat(ok.failure).isNull();
    }

    @Test
    void forgedAlteredAndMisattributedHitsAreDroppedAndTheGenuineOneKept() {
        Node a = net.add("A");
        Node liar = net.add("L");
        Node c = net.add("C");
        link(a, liar);
        IndexedContent real = content("Elephants Dream.avi", "video/x-msvideo");
        liar.liar = q -> {
            byte[] qid = q.id();
            Hit genuine = Hit.own(qid, real, liar.contact.record(), liar.key);
            // Signed by the liar but claiming C as the provider.
            Hit misattributed = new Hit(real.contentId(), real.name(), real.sizeBytes(), real.mediaType(), real.tags(),
                    c.contact.record(), genuine.signature(), 0);
            // The genuine hit with its name changed after signing.
            Hit altered = new Hit(real.contentId(), "Elephants Dream (HD).avi", real.sizeBytes(), real.mediaType(),
                    real.tags(), liar.contact.record(), genuine.signature(), 0);
            // The size changed after signing.
            Hit resized = new Hit(real.contentId(), real.name(), 1, real.mediaType(), real.tags(),
                    liar.contact.record(), genuine.signature(), 0);
            // A provider record whose ID is not its key's.
            SignedPeerRecord forgedRecord = new SignedPeerRecord(new dev.p2psuite.identity.PeerRecord(c.id(),
                    liar.key.publicKey(), 1, List.of(Candidate.host("10.9.9.9", 4001))), new byte[64]);
            Hit forged = new Hit(real.contentId(), real.name(), real.sizeBytes(), real.mediaType(), real.tags(),
                    forgedRecord, genuine.signature(), 0);
            // Signed for another query: cannot be replayed into this one.
            Hit replayed = Hit.own(new byte[16], content("Other.avi", "video/x-msvideo"), liar.contact.record(),
                    liar.key);
            Hit noProvider = new Hit(real.contentId(), real.name(), real.sizeBytes(), "", List.of(), null,
                    genuine.signature(), 0);
            return List.of(misattributed, altered, resized, forged, replayed, noProvider, genuine);
        };

        Collector r = a.search(4, "elephants");

        assertThat(r.hits).singleElement().satisfies(h -> {
            assertThat(h.provider().nodeId()).isEqualTo(liar.id());
            assertThat(h.name()).isEqualTo("Elephants Dream.avi");
        });
        assertThat(a.search.stats().hitsDropped()).isEqualTo(6);
    }

    @Test
    void aForwarderEndsItsStreamAHopMarginBeforeItsCallersDeadline() {
        net.latencyMs = 40;
        Node a = net.add("A", SearchSettings.defaults().withHopMargin(Duration.ofMillis(250)));
        Node b = net.add("B", SearchSettings.defaults().withHopMargin(Duration.ofMillis(250)));
        Node slow = net.add("S");
        link(a, b);
        link(b, slow);
        slow.silent = true; // takes B's forward and never answers
        Collector r = new Collector(net.loop);
        long start = net.loop.millis();
        b.search.onQuery(a.id(), id(5), 3, 0, List.of("x"), 0, null, start + 1_000, r);
        net.loop.runBefore(start + 5_000);
        assertThat(r.completed).isTrue();
        assertThat(r.endedAt - start).as("ends at deadline - margin").isEqualTo(750);
        assertThat(slow.lastQuery).isNotNull();
    }

    @Test
    void theHitLimitEndsTheStreamAndCancelsTheForwards() {
        Node a = net.add("A");
        Node b = net.add("B");
        List<IndexedContent> many = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            many.add(content("clip " + i + ".mp4", "video/mp4"));
        }
        b.index.replaceAll(many);
        link(a, b);
        Collector r = new Collector(net.loop);
        a.search.originate(new SearchParams(List.of("clip"), 2, 25, 5_000), r);
        net.run(10_000);
        assertThat(r.hits).hasSize(25);
        assertThat(r.completed).isTrue();
    }

    @Test
    void aCancelledSearchCancelsItsForwardsDownstream() {
        net.latencyMs = 50;
        Node a = net.add("A");
        Node b = net.add("B");
        Node s = net.add("S");
        s.silent = true;
        link(a, b);
        link(b, s);
        Collector r = new Collector(net.loop);
        long start = net.loop.millis();
        FloodSearch.Handle h = a.search.originate(new SearchParams(List.of("x"), 4, 100, 5_000), r);
        net.loop.runBefore(start + 120); // B has forwarded to S, which holds the call open
        assertThat(s.lastQuery).isNotNull();
        h.cancel();
        net.loop.runBefore(start + 200); // the cancel reached B one latency later
        assertThat(b.cancelsSent).as("B cancelled its forward long before its deadline").isEqualTo(1);
        net.loop.runBefore(start + 10_000);
        assertThat(r.completed).as("a cancelled search reports nothing more").isFalse();
        assertThat(r.hits).isEmpty();
    }

    @Test
    void invalidSearchesFailAtOnceWithPreciseMessages() {
        Node a = net.add("A");
        record Case(List<String> terms, long ttl, long maxHits, long timeout, String message) {
        }
        for (Case k : List.of(
                new Case(List.of(), 0, 0, 0, "terms: at least one search term is required"),
                new Case(List.of("x"), 8, 0, 0, "ttl must be 0..7 (0 = 4), got 8"),
                new Case(List.of("x"), 0, 1_001, 0, "max_hits must be 0..1000 (0 = 100), got 1001"),
                new Case(List.of("x"), 0, 0, 30_001, "timeout_ms must be 0..30000 (0 = 5000), got 30001"))) {
            Collector c = new Collector(net.loop);
            a.search.originate(k.terms(), k.ttl(), k.maxHits(), k.timeout(), c);
            assertThat(c.failure).isNotNull();
            assertThat(c.failure.kind()).isEqualTo(DhtRejection.Kind.INVALID_ARGUMENT);
            assertThat(c.failure.getMessage()).isEqualTo(k.message());
        }
    }

    private static byte[] id(int n) {
        byte[] b = new byte[16];
        b[0] = (byte) n;
        b[1] = (byte) (n >> 8);
        b[15] = 1;
        return b;
    }
}
