package dev.p2psuite.dht.core;

import java.time.Duration;

/**
 * The protocol's fixed numbers, each with where it comes from. {@link DhtSettings} starts from these and lets
 * tests and the simulator shorten the intervals (down to seconds).
 */
public final class Kademlia {

    /** Bucket size and replication factor (Kademlia paper, section 2.2: k = 20). */
    public static final int K = 20;

    /** Requests in flight per lookup (Kademlia paper, section 2.3: alpha = 3). */
    public static final int ALPHA = 3;

    /** Buckets: one per shared-prefix length 0..159 (an ID never shares all 160 bits with another). */
    public static final int BUCKETS = 160;

    /** Replacement-cache entries per bucket (Kademlia paper, section 4.1); as many as the bucket holds. */
    public static final int REPLACEMENT_CACHE_SIZE = K;

    /** Contacts from one IPv4 /24 or IPv6 /48 per bucket (go-libp2p-kad-dht's diversity filter: 2). */
    public static final int MAX_PER_IP_GROUP = 2;

    /** A contact not heard from for this long is "questionable" and is pinged before eviction (BEP 5). */
    public static final Duration QUESTIONABLE_AFTER = Duration.ofMinutes(15);

    /** Buckets untouched for this long are refreshed by a lookup of a random ID in their range (BEP 5). */
    public static final Duration BUCKET_REFRESH_INTERVAL = Duration.ofMinutes(15);

    /** Every holder republishes its values this often (Kademlia paper, section 2.5: hourly). */
    public static final Duration VALUE_REPUBLISH_INTERVAL = Duration.ofHours(1);

    /** Default value lifetime when a put names none (dht_internal.proto PutValueRequest). */
    public static final Duration DEFAULT_VALUE_TTL = Duration.ofHours(24);

    /** Longest value lifetime; receivers clamp longer expiries (dht_peer.proto ValueRecord). */
    public static final Duration MAX_VALUE_TTL = Duration.ofHours(48);

    /** Provider records expire after this (go-libp2p-kad-dht ProviderRecordTTL = 48 h). */
    public static final Duration PROVIDER_TTL = Duration.ofHours(48);

    /** Providers re-announce this often (go-libp2p-kad-dht: every 22 h, well inside the 48 h TTL). */
    public static final Duration PROVIDER_REPUBLISH_INTERVAL = Duration.ofHours(22);

    /** Providers kept per key per node (DESIGN.md: at most k). */
    public static final int MAX_PROVIDERS_PER_KEY = K;

    /** Peers per PEX message (BEP 11: at most 50). */
    public static final int MAX_PEERS_PER_PEX = 50;

    /** PEX period, and the least time between two PEX messages with one peer (BEP 11: once a minute). */
    public static final Duration PEX_INTERVAL = Duration.ofSeconds(60);

    /** Unverified contacts learned by PEX, kept until a liveness check admits or drops them. */
    public static final int MAX_UNVERIFIED_PEX_CONTACTS = 2 * MAX_PEERS_PER_PEX;

    /** Unverified PEX contacts pinged per PEX round (bounds the checks one node causes). */
    public static final int PEX_VERIFICATIONS_PER_ROUND = 5;

    /** Value keys held per node (bounds memory against store floods). */
    public static final int MAX_VALUE_KEYS = 100_000;

    /** Bytes of values held per node. */
    public static final long MAX_VALUE_BYTES_TOTAL = 256L * 1024 * 1024;

    /** Keys with provider records per node. */
    public static final int MAX_PROVIDER_KEYS = 100_000;

    private Kademlia() {
    }
}
