package dev.p2psuite.dht.search;

import java.time.Duration;

/** The wire limits of search_peer.proto and search_internal.proto (fixed by the contract, not configurable). */
public final class SearchLimits {

    /** Query IDs are exactly this many random bytes (Gnutella 0.6 uses a 16-byte GUID too). */
    public static final int QUERY_ID_BYTES = 16;
    /** Largest TTL, and largest ttl + hops a query may carry (Gnutella 0.6: 7). */
    public static final int MAX_TTL = 7;
    /** TTL of a query this node originates when none is asked (the service default; configurable). */
    public static final int DEFAULT_TTL = 4;
    public static final int MAX_TERMS = 8;
    public static final int MAX_TERM_BYTES = 64;
    /** Hits per SearchPeer.Query response stream (and its default). */
    public static final int MAX_HITS_PER_STREAM = 100;
    /** Hits per QueryResponse message. */
    public static final int MAX_HITS_PER_MESSAGE = 20;
    /** Distinct hits one SearchInternal.Search may return, and its default. */
    public static final int MAX_SEARCH_HITS = 1_000;
    public static final int DEFAULT_SEARCH_HITS = 100;
    /** SearchInternal.Search timeout bounds, ms; also the deadline assumed for a peer call that carries none. */
    public static final long DEFAULT_TIMEOUT_MS = 5_000;
    public static final long MAX_TIMEOUT_MS = 30_000;
    /** How long a query ID is remembered for duplicate suppression (search_peer.proto: 10 min). */
    public static final Duration DUPLICATE_MEMORY = Duration.ofMinutes(10);

    /** Content metadata bounds (types.proto ContentMetadata, SearchHit). */
    public static final int CONTENT_ID_BYTES = 34;
    public static final int MAX_NAME_BYTES = 255;
    public static final int MAX_MEDIA_TYPE_BYTES = 127;
    public static final int MAX_TAGS = 16;
    public static final int MAX_TAG_BYTES = 64;

    private SearchLimits() {
    }
}
