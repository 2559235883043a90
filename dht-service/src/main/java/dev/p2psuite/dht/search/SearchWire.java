package dev.p2psuite.dht.search;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.common.v1.ContentId;
import dev.p2psuite.proto.search.v1.QueryRequest;
import dev.p2psuite.proto.search.v1.SearchHit;
import dev.p2psuite.proto.storage.v1.ContentSummary;
import java.util.ArrayList;
import java.util.List;

/** Maps flood search between the wire (search_peer.proto, storage_internal.proto) and the core's types. */
final class SearchWire {

    /** Hop counts on the wire are informative; anything beyond this is a liar's and is clamped. */
    private static final int MAX_REPORTED_HOPS = 64;

    private SearchWire() {
    }

    static QueryRequest toProto(Query q) {
        QueryRequest.Builder b = QueryRequest.newBuilder()
                .setQueryId(ByteString.copyFrom(q.id()))
                .setTtl(q.ttl())
                .setHops(q.hops())
                .addAllTerms(q.terms())
                .setMaxHits(q.maxHits());
        if (q.origin() != null) {
            b.setOrigin(PeerRecords.toProto(q.origin()));
        }
        return b.build();
    }

    static SearchHit toProto(Hit h) {
        SearchHit.Builder b = SearchHit.newBuilder()
                .setContentId(ContentId.newBuilder().setValue(ByteString.copyFrom(h.contentId())))
                .setName(h.name())
                .setSizeBytes(h.sizeBytes())
                .setMediaType(h.mediaType())
                .addAllTags(h.tags())
                .setSignature(ByteString.copyFrom(h.signature()))
                .setHops(h.hops());
        if (h.provider() != null) {
            b.setProvider(PeerRecords.toProto(h.provider()));
        }
        return b.build();
    }

    /**
     * A hit as received, unchecked: a malformed provider record becomes a null provider, which the core's
     * {@link HitVerifier} drops (and counts) like any other bad hit.
     */
    static Hit fromProto(SearchHit p) {
        SignedPeerRecord provider = null;
        if (p.hasProvider()) {
            try {
                provider = PeerRecords.fromProto(p.getProvider(), "provider");
            } catch (IllegalArgumentException e) {
                provider = null;
            }
        }
        int hops = (int) Math.min(Integer.toUnsignedLong(p.getHops()), MAX_REPORTED_HOPS);
        return new Hit(p.getContentId().getValue().toByteArray(), p.getName(), p.getSizeBytes(), p.getMediaType(),
                p.getTagsList(), provider, p.getSignature().toByteArray(), hops);
    }

    static List<Hit> fromProto(List<SearchHit> hits) {
        List<Hit> out = new ArrayList<>(hits.size());
        for (SearchHit h : hits) {
            out.add(fromProto(h));
        }
        return out;
    }

    /**
     * What the index keeps of a storage summary: complete contents only (only they can be served in full).
     *
     * @return null if incomplete or over the metadata limits
     */
    static IndexedContent indexed(ContentSummary s) {
        if (!s.getComplete()) {
            return null;
        }
        try {
            return new IndexedContent(s.getContentId().getValue().toByteArray(), s.getMetadata().getName(),
                    s.getSizeBytes(), s.getMetadata().getMediaType(), s.getMetadata().getTagsList());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
