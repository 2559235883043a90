package dev.p2psuite.dht.search;

import static dev.p2psuite.dht.search.SearchLimits.MAX_HITS_PER_STREAM;
import static dev.p2psuite.dht.search.SearchLimits.MAX_TERMS;
import static dev.p2psuite.dht.search.SearchLimits.MAX_TERM_BYTES;
import static dev.p2psuite.dht.search.SearchLimits.MAX_TTL;
import static dev.p2psuite.dht.search.SearchLimits.QUERY_ID_BYTES;

import dev.p2psuite.dht.core.DhtRejection;
import dev.p2psuite.identity.SignedPeerRecord;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * One copy of a flooded query (search_peer.proto QueryRequest), valid by construction through {@link #fromPeer}.
 *
 * @param ttl     hops the query may still travel, 1..7 (1: answer, do not forward)
 * @param hops    hops travelled so far
 * @param maxHits hits wanted on this stream, 1..100
 * @param origin  the originating node's record, or null
 */
public record Query(byte[] id, int ttl, int hops, List<String> terms, int maxHits, SignedPeerRecord origin) {

    public Query {
        Objects.requireNonNull(id, "id");
        id = id.clone();
        terms = List.copyOf(terms);
    }

    @Override
    public byte[] id() {
        return id.clone();
    }

    public String idHex() {
        return HexFormat.of().formatHex(id);
    }

    /**
     * A query as a peer sent it. Numbers are the wire's uint32 values widened without sign.
     *
     * @throws DhtRejection INVALID_ARGUMENT naming the field and the limit
     */
    public static Query fromPeer(byte[] id, long ttl, long hops, List<String> terms, long maxHits,
                                 SignedPeerRecord origin) {
        if (id.length != QUERY_ID_BYTES) {
            throw invalid("query_id must be " + QUERY_ID_BYTES + " bytes, got " + id.length);
        }
        if (ttl < 1 || ttl > MAX_TTL) {
            throw invalid("ttl must be 1.." + MAX_TTL + ", got " + ttl);
        }
        checkTerms(terms);
        if (maxHits > MAX_HITS_PER_STREAM) {
            throw invalid("max_hits must be 0.." + MAX_HITS_PER_STREAM + " (0 = " + MAX_HITS_PER_STREAM
                    + "), got " + maxHits);
        }
        // A hop count past the maximum TTL only means the query may not travel further (see FloodSearch).
        int h = (int) Math.min(hops, MAX_TTL);
        return new Query(id, (int) ttl, h, terms, maxHits == 0 ? MAX_HITS_PER_STREAM : (int) maxHits, origin);
    }

    /** The term limits both APIs share: 1..8 terms, each 1..64 bytes of UTF-8. */
    static void checkTerms(List<String> terms) {
        if (terms.isEmpty()) {
            throw invalid("terms: at least one search term is required");
        }
        if (terms.size() > MAX_TERMS) {
            throw invalid("terms: at most " + MAX_TERMS + " terms, got " + terms.size());
        }
        for (int i = 0; i < terms.size(); i++) {
            String t = terms.get(i);
            int bytes = t.getBytes(StandardCharsets.UTF_8).length;
            if (bytes == 0) {
                throw invalid("terms[" + i + "] is empty; each term is 1.." + MAX_TERM_BYTES + " bytes");
            }
            if (bytes > MAX_TERM_BYTES) {
                throw invalid("terms[" + i + "] is " + bytes + " bytes of UTF-8; at most " + MAX_TERM_BYTES);
            }
        }
    }

    static DhtRejection invalid(String message) {
        return new DhtRejection(DhtRejection.Kind.INVALID_ARGUMENT, message);
    }
}
