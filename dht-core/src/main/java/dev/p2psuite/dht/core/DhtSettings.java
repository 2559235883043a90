package dev.p2psuite.dht.core;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One node's DHT settings. {@link #defaults()} are the protocol values ({@link Kademlia}); every interval may be
 * shortened to seconds for tests. Build with {@link #builder()} or {@link #toBuilder()}.
 *
 * @param k bucket size and replication factor
 * @param alpha lookup parallelism
 * @param requestTimeout how long a lookup waits for one peer before counting it unresponsive
 * @param refreshInterval buckets untouched this long are refreshed (BEP 5: 15 min)
 * @param valueRepublishInterval holders republish values this often (Kademlia: 1 h)
 * @param defaultValueTtl a put's lifetime when none is given (24 h)
 * @param maxValueTtl the longest lifetime a put may ask for, and the receivers' clamp (48 h)
 * @param providerTtl provider records' lifetime (go-libp2p-kad-dht: 48 h)
 * @param providerRepublishInterval providers re-announce this often (22 h)
 * @param pexInterval PEX period and per-peer minimum spacing (BEP 11: 60 s)
 * @param pexPeersPerRound peers this node exchanges with each PEX round
 * @param maxPerIpGroup contacts per IPv4 /24, IPv6 /48 or host name per bucket; 0 = no limit
 * @param diversityExemptsPrivate loopback, private and link-local addresses are not limited
 * @param failuresBeforeEviction consecutive failed RPCs before a contact is dropped
 * @param questionableAfter a contact silent this long is pinged before it may be evicted (BEP 5: 15 min)
 * @param bootstrapContacts nodes to join through, known by their signed records
 * @param bootstrapEndpoints addresses to join through, dialled with {@link PeerRpc#pingAddress}
 * @param standalone explicit single-node mode: ready without any contact (the first node of a network)
 * @param minReadyContacts contacts the table must hold before the node reports ready
 * @param bootstrapBackoffInitial first retry delay while no bootstrap node answers (doubles each time)
 * @param bootstrapBackoffMax longest retry delay
 * @param cacheOnGet after a successful get, store the value at the closest queried node that lacked it
 *                   (Kademlia paper, section 2.3)
 * @param storeLimits bounds of the record store
 */
public record DhtSettings(int k, int alpha, Duration requestTimeout, Duration refreshInterval,
                          Duration valueRepublishInterval, Duration defaultValueTtl, Duration maxValueTtl,
                          Duration providerTtl, Duration providerRepublishInterval, Duration pexInterval,
                          int pexPeersPerRound, int maxPerIpGroup, boolean diversityExemptsPrivate,
                          int failuresBeforeEviction, Duration questionableAfter, List<Contact> bootstrapContacts,
                          List<Endpoint> bootstrapEndpoints, boolean standalone, int minReadyContacts,
                          Duration bootstrapBackoffInitial, Duration bootstrapBackoffMax, boolean cacheOnGet,
                          RecordStore.Limits storeLimits) {

    /**
     * Lookup request timeout: peers on a LAN answer in milliseconds and WAN round trips stay well below a second, so
     * 3 s marks a peer dead without stalling a lookup long (rust-libp2p uses 10 s for a whole connection attempt).
     */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(3);

    /** Bootstrap retry starts at 1 s and doubles up to 60 s: quick when a peer is just starting, cheap when not. */
    public static final Duration DEFAULT_BOOTSTRAP_BACKOFF_INITIAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_BOOTSTRAP_BACKOFF_MAX = Duration.ofSeconds(60);

    /** Peers per PEX round: BEP 11 exchanges with every connected peer; a few random contacts suffice here. */
    public static final int DEFAULT_PEX_PEERS_PER_ROUND = 3;

    /** One live contact is enough to route; deployments that want more say so. */
    public static final int DEFAULT_MIN_READY_CONTACTS = 1;

    public DhtSettings {
        if (k < 1 || alpha < 1) {
            throw new IllegalArgumentException("k and alpha must be at least 1");
        }
        for (Duration d : List.of(requestTimeout, refreshInterval, valueRepublishInterval, defaultValueTtl,
                maxValueTtl, providerTtl, providerRepublishInterval, pexInterval, bootstrapBackoffInitial,
                bootstrapBackoffMax)) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("intervals must be positive, got " + d);
            }
        }
        Objects.requireNonNull(questionableAfter, "questionableAfter");
        if (defaultValueTtl.compareTo(maxValueTtl) > 0) {
            throw new IllegalArgumentException(
                    "defaultValueTtl " + defaultValueTtl + " exceeds maxValueTtl " + maxValueTtl);
        }
        if (pexPeersPerRound < 0 || minReadyContacts < 0 || maxPerIpGroup < 0 || failuresBeforeEviction < 1) {
            throw new IllegalArgumentException("counts must not be negative (failuresBeforeEviction >= 1)");
        }
        bootstrapContacts = List.copyOf(bootstrapContacts);
        bootstrapEndpoints = List.copyOf(bootstrapEndpoints);
        Objects.requireNonNull(storeLimits, "storeLimits");
    }

    public static DhtSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.k = k;
        b.alpha = alpha;
        b.requestTimeout = requestTimeout;
        b.refreshInterval = refreshInterval;
        b.valueRepublishInterval = valueRepublishInterval;
        b.defaultValueTtl = defaultValueTtl;
        b.maxValueTtl = maxValueTtl;
        b.providerTtl = providerTtl;
        b.providerRepublishInterval = providerRepublishInterval;
        b.pexInterval = pexInterval;
        b.pexPeersPerRound = pexPeersPerRound;
        b.maxPerIpGroup = maxPerIpGroup;
        b.diversityExemptsPrivate = diversityExemptsPrivate;
        b.failuresBeforeEviction = failuresBeforeEviction;
        b.questionableAfter = questionableAfter;
        b.bootstrapContacts = bootstrapContacts;
        b.bootstrapEndpoints = bootstrapEndpoints;
        b.standalone = standalone;
        b.minReadyContacts = minReadyContacts;
        b.bootstrapBackoffInitial = bootstrapBackoffInitial;
        b.bootstrapBackoffMax = bootstrapBackoffMax;
        b.cacheOnGet = cacheOnGet;
        b.storeLimits = storeLimits;
        return b;
    }

    RoutingTable.Config tableConfig() {
        return new RoutingTable.Config(k, maxPerIpGroup, diversityExemptsPrivate, failuresBeforeEviction,
                questionableAfter, Kademlia.REPLACEMENT_CACHE_SIZE);
    }

    /** Whether this node has anything to bootstrap from in its configuration. */
    public boolean hasBootstrapNodes() {
        return !bootstrapContacts.isEmpty() || !bootstrapEndpoints.isEmpty();
    }

    public static final class Builder {
        private int k = Kademlia.K;
        private int alpha = Kademlia.ALPHA;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private Duration refreshInterval = Kademlia.BUCKET_REFRESH_INTERVAL;
        private Duration valueRepublishInterval = Kademlia.VALUE_REPUBLISH_INTERVAL;
        private Duration defaultValueTtl = Kademlia.DEFAULT_VALUE_TTL;
        private Duration maxValueTtl = Kademlia.MAX_VALUE_TTL;
        private Duration providerTtl = Kademlia.PROVIDER_TTL;
        private Duration providerRepublishInterval = Kademlia.PROVIDER_REPUBLISH_INTERVAL;
        private Duration pexInterval = Kademlia.PEX_INTERVAL;
        private int pexPeersPerRound = DEFAULT_PEX_PEERS_PER_ROUND;
        private int maxPerIpGroup = Kademlia.MAX_PER_IP_GROUP;
        private boolean diversityExemptsPrivate = true;
        private int failuresBeforeEviction = RoutingTable.DEFAULT_FAILURES_BEFORE_EVICTION;
        private Duration questionableAfter = Kademlia.QUESTIONABLE_AFTER;
        private List<Contact> bootstrapContacts = List.of();
        private List<Endpoint> bootstrapEndpoints = List.of();
        private boolean standalone;
        private int minReadyContacts = DEFAULT_MIN_READY_CONTACTS;
        private Duration bootstrapBackoffInitial = DEFAULT_BOOTSTRAP_BACKOFF_INITIAL;
        private Duration bootstrapBackoffMax = DEFAULT_BOOTSTRAP_BACKOFF_MAX;
        private boolean cacheOnGet = true;
        private RecordStore.Limits storeLimits = RecordStore.Limits.defaults();

        private Builder() {
        }

        public Builder k(int v) { k = v; return this; }
        public Builder alpha(int v) { alpha = v; return this; }
        public Builder requestTimeout(Duration v) { requestTimeout = v; return this; }
        public Builder refreshInterval(Duration v) { refreshInterval = v; return this; }
        public Builder valueRepublishInterval(Duration v) { valueRepublishInterval = v; return this; }
        public Builder defaultValueTtl(Duration v) { defaultValueTtl = v; return this; }
        public Builder maxValueTtl(Duration v) { maxValueTtl = v; return this; }
        public Builder providerTtl(Duration v) { providerTtl = v; return this; }
        public Builder providerRepublishInterval(Duration v) { providerRepublishInterval = v; return this; }
        public Builder pexInterval(Duration v) { pexInterval = v; return this; }
        public Builder pexPeersPerRound(int v) { pexPeersPerRound = v; return this; }
        public Builder maxPerIpGroup(int v) { maxPerIpGroup = v; return this; }
        public Builder diversityExemptsPrivate(boolean v) { diversityExemptsPrivate = v; return this; }
        public Builder failuresBeforeEviction(int v) { failuresBeforeEviction = v; return this; }
        public Builder questionableAfter(Duration v) { questionableAfter = v; return this; }
        public Builder bootstrapContacts(List<Contact> v) { bootstrapContacts = v; return this; }
        public Builder bootstrapEndpoints(List<Endpoint> v) { bootstrapEndpoints = v; return this; }
        public Builder standalone(boolean v) { standalone = v; return this; }
        public Builder minReadyContacts(int v) { minReadyContacts = v; return this; }
        public Builder bootstrapBackoffInitial(Duration v) { bootstrapBackoffInitial = v; return this; }
        public Builder bootstrapBackoffMax(Duration v) { bootstrapBackoffMax = v; return this; }
        public Builder cacheOnGet(boolean v) { cacheOnGet = v; return this; }
        public Builder storeLimits(RecordStore.Limits v) { storeLimits = v; return this; }

        public DhtSettings build() {
            return new DhtSettings(k, alpha, requestTimeout, refreshInterval, valueRepublishInterval, defaultValueTtl,
                    maxValueTtl, providerTtl, providerRepublishInterval, pexInterval, pexPeersPerRound, maxPerIpGroup,
                    diversityExemptsPrivate, failuresBeforeEviction, questionableAfter, bootstrapContacts,
                    bootstrapEndpoints, standalone, minReadyContacts, bootstrapBackoffInitial, bootstrapBackoffMax,
                    cacheOnGet, storeLimits);
        }
    }
}
