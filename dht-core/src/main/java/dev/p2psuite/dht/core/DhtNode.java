package dev.p2psuite.dht.core;

import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * One node's Kademlia: routing table, lookups, records, bootstrap, refresh, republish, replication and PEX over a
 * {@link PeerRpc}, with time and randomness injected.
 *
 * <p><b>Threading.</b> Every state change runs on the serial {@link Executor} given to the constructor (the
 * simulator passes a direct one; a service a single-thread executor). Public methods may be called from any thread:
 * they hop onto that executor and return futures, which complete on it (callers should not block there).
 * {@link #ready()}, {@link #bootstrapState()} and {@link #stats()} read volatile state and return at once.
 * Completions of {@link PeerRpc} futures and {@link Scheduler} tasks are handed back to the executor, so they may
 * come from any thread.
 *
 * <p><b>Trust.</b> Contacts reaching this class are taken as verified (the {@link PeerRpc} implementation and the
 * inbound adapter check signed peer records). Value records are verified here: on STORE ({@link RecordStore}), on
 * every FIND_VALUE answer before a get accepts it, and on {@link #restore}.
 */
public final class DhtNode {

    /** Largest {@code limit} a provider search accepts (dht_internal.proto FindProvidersRequest). */
    public static final int MAX_FIND_PROVIDERS_LIMIT = 100;

    /** Refresh checks per refresh interval: a bucket goes stale at most a third of an interval before it is seen. */
    private static final int REFRESH_CHECKS_PER_INTERVAL = 3;

    /** Republish checks per interval: a value is republished between 1 and 1.25 intervals after its last store. */
    private static final int REPUBLISH_CHECKS_PER_INTERVAL = 4;

    /** Bootstrap backoff jitter (a fraction of the delay) so that nodes started together do not retry in step. */
    private static final double BACKOFF_JITTER = 0.2;

    /** A put's outcome: the record as signed, and how many of the k closest nodes hold it (this one included). */
    public record PutResult(ValueRecord record, int storedCount) {
    }

    /** A get's outcome; {@code record} is null when nothing was found. */
    public record GetResult(ValueRecord record, boolean local, int peersQueried, int rounds) {
        public boolean found() {
            return record != null;
        }
    }

    /** A provider search's outcome: distinct verified providers (never this node), whether this node provides. */
    public record ProvidersResult(List<Contact> providers, boolean selfProvides, int peersQueried) {
    }

    private enum Kind { FIND_NODE, FIND_VALUE, GET_PROVIDERS }

    /** One running lookup and what its answers collected. */
    private final class Run {
        final Lookup lookup;
        final Kind kind;
        final NodeId target;
        final CompletableFuture<Lookup.Result> done = new CompletableFuture<>();
        ValueRecord value;
        Map<NodeId, Contact> providers;
        int limit;
        BooleanSupplier stopWhen;
        Scheduler.Cancellable wakeup;
        long wakeupAt = Long.MAX_VALUE;
        boolean driving;
        boolean again;

        Run(Kind kind, NodeId target) {
            this.kind = kind;
            this.target = target;
            this.lookup = new Lookup(target, table.closest(target, settings.k()), settings.k(), settings.alpha(),
                    settings.requestTimeout(), kind == Kind.FIND_VALUE ? Lookup.Mode.FIND_VALUE : Lookup.Mode.FIND_NODE,
                    selfId);
        }
    }

    private final NodeKey key;
    private final NodeId selfId;
    private volatile Contact self;
    private final DhtSettings settings;
    private final PeerRpc rpc;
    private final Scheduler scheduler;
    private final Executor executor;
    private final InstantSource clock;
    private final RandomGenerator random;
    private final RoutingTable table;
    private final RecordStore store;
    /** This node's own publications, republished until they expire. */
    private final Map<NodeId, ValueRecord> published = new HashMap<>();
    /** When each own publication was last stored on the network. */
    private final Map<NodeId, Long> publishedAt = new HashMap<>();
    private final Set<NodeId> providing = new LinkedHashSet<>();
    /** Contacts learned by PEX that have not passed a liveness check yet (oldest first). */
    private final LinkedHashMap<NodeId, Contact> unverified = new LinkedHashMap<>();
    private final Map<NodeId, Long> pexInboundAt = new HashMap<>();
    private final Map<NodeId, Long> pexOutboundAt = new HashMap<>();
    private final Set<Run> running = new HashSet<>();
    private final List<Scheduler.Cancellable> timers = new ArrayList<>();
    private final CompletableFuture<Void> joinedFuture = new CompletableFuture<>();

    private volatile boolean closed;
    private volatile boolean started;
    private volatile boolean joined;
    private volatile BootstrapState phase = BootstrapState.CONNECTING;
    private boolean bootstrapping;
    private Duration backoff;
    private final long startedAt;

    private volatile long lookupsStarted;
    private volatile long lookupsSucceeded;
    private volatile long rpcsSent;
    private volatile long rpcsFailed;
    private volatile long rpcsReceived;
    private volatile long recordsRejected;
    private volatile long pexSent;
    private volatile long pexReceived;
    private volatile long pexRecordsDropped;
    private volatile int valuesHeld;
    private volatile int providersHeld;
    private volatile int keysProvided;

    /**
     * @param self this node's contact (its signed record); must belong to {@code key}
     * @param key this node's key, which signs its value records
     * @param executor serial executor on which all state changes run
     */
    public DhtNode(Contact self, NodeKey key, DhtSettings settings, PeerRpc rpc, Scheduler scheduler,
                   Executor executor, InstantSource clock, RandomGenerator random) {
        this.self = Objects.requireNonNull(self, "self");
        this.key = Objects.requireNonNull(key, "key");
        if (!key.nodeId().equals(self.id())) {
            throw new IllegalArgumentException("self contact " + self.id().toHex() + " does not belong to key "
                    + key.nodeId().toHex());
        }
        this.selfId = self.id();
        this.settings = Objects.requireNonNull(settings, "settings");
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.table = new RoutingTable(selfId, settings.tableConfig(), clock);
        this.store = new RecordStore(clock, settings.storeLimits());
        this.table.onInsert(this::replicateTo);
        this.backoff = settings.bootstrapBackoffInitial();
        this.startedAt = clock.millis();
    }

    public NodeId id() {
        return selfId;
    }

    public Contact self() {
        return self;
    }

    public DhtSettings settings() {
        return settings;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Lifecycle and readiness

    /**
     * Starts the periodic work (refresh, republish, provider republish, PEX) and bootstraps. The future completes
     * once the node has joined (at once in standalone mode); while no bootstrap node answers it stays pending and
     * the node keeps retrying with backoff.
     */
    public CompletableFuture<Void> start() {
        executor.execute(() -> {
            if (started || closed) {
                return;
            }
            started = true;
            Duration refreshCheck = max(Duration.ofSeconds(1),
                    settings.refreshInterval().dividedBy(REFRESH_CHECKS_PER_INTERVAL));
            every(refreshCheck, this::maintain);
            Duration republishCheck = max(Duration.ofSeconds(1),
                    settings.valueRepublishInterval().dividedBy(REPUBLISH_CHECKS_PER_INTERVAL));
            every(republishCheck, this::republishValues);
            every(settings.providerRepublishInterval(), this::republishProviders);
            every(settings.pexInterval(), this::pexRound);
            if (settings.standalone()) {
                phase = BootstrapState.STANDALONE;
                joined = true;
                joinedFuture.complete(null);
            }
            if (!settings.standalone() || settings.hasBootstrapNodes()) {
                attemptBootstrap();
            }
        });
        return joinedFuture;
    }

    /** Starts a bootstrap attempt now (if none is running); completes when joined. */
    public CompletableFuture<Void> bootstrap() {
        executor.execute(() -> {
            if (!closed) {
                attemptBootstrap();
            }
        });
        return joinedFuture;
    }

    /** Stops all periodic work; running operations fail with {@link CancellationException}. */
    public void close() {
        closed = true;
        try {
            executor.execute(this::cancelAll);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the executor is already shut down: nothing runs any more anyway
        }
    }

    private void cancelAll() {
        {
            for (Scheduler.Cancellable t : timers) {
                t.cancel();
            }
            timers.clear();
            for (Run run : new ArrayList<>(running)) {
                if (run.wakeup != null) {
                    run.wakeup.cancel();
                }
                run.done.completeExceptionally(new CancellationException("DHT node closed"));
            }
            running.clear();
        }
    }

    /** Ready: standalone, or joined with at least the configured minimum of contacts. */
    public boolean ready() {
        return settings.standalone() || (joined && table.size() >= settings.minReadyContacts());
    }

    public BootstrapState bootstrapState() {
        if (settings.standalone()) {
            return BootstrapState.STANDALONE;
        }
        if (joined && table.size() >= settings.minReadyContacts()) {
            return BootstrapState.JOINED;
        }
        return joined ? BootstrapState.JOINING : phase;
    }

    public DhtStats stats() {
        return new DhtStats(bootstrapState(), ready(), table.size(), 0, valuesHeld, providersHeld, keysProvided,
                lookupsStarted, lookupsSucceeded, rpcsSent, rpcsFailed, rpcsReceived, recordsRejected, pexSent,
                pexReceived, pexRecordsDropped, startedAt);
    }

    /** Stats with the bucket count, computed on the executor. */
    public CompletableFuture<DhtStats> detailedStats() {
        return call(() -> {
            DhtStats s = stats();
            return new DhtStats(s.bootstrapState(), s.ready(), s.routingTableSize(), table.bucketsUsed(),
                    s.recordsStored(), s.providerRecordsStored(), s.keysProvided(), s.lookupsStarted(),
                    s.lookupsSucceeded(), s.rpcsSent(), s.rpcsFailed(), s.rpcsReceived(), s.recordsRejected(),
                    s.pexSent(), s.pexReceived(), s.pexRecordsDropped(), s.startedUnixMs());
        });
    }

    /** Replaces this node's own contact (new addresses, new record seq); it must keep its ID. */
    public void updateSelf(Contact contact) {
        if (!contact.id().equals(selfId)) {
            throw new IllegalArgumentException("a node's ID cannot change");
        }
        self = contact;
    }

    /** For adapters: count records they rejected before reaching the core (bad signatures, forged PEX entries). */
    public void noteRejectedRecords(int records, boolean fromPex) {
        executor.execute(() -> {
            recordsRejected += records;
            if (fromPex) {
                pexRecordsDropped += records;
            }
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Internal API (the gateway's)

    /** Iterative FIND_NODE: the k closest live nodes to {@code target}, with rounds and messages. */
    public CompletableFuture<Lookup.Result> findNode(NodeId target) {
        return callAsync(() -> lookup(Kind.FIND_NODE, target, null).done);
    }

    /** Closest nodes to {@code target}: from the table only, or by lookup. {@code count} 0 means k. */
    public CompletableFuture<List<Contact>> closestNodes(NodeId target, int count, boolean localOnly) {
        int n = count == 0 ? settings.k() : count;
        if (n < 0 || n > settings.k()) {
            return CompletableFuture.failedFuture(new DhtRejection(DhtRejection.Kind.INVALID_ARGUMENT,
                    "count must be 0.." + settings.k() + ", got " + count));
        }
        if (localOnly) {
            return call(() -> table.closest(target, n));
        }
        return findNode(target).thenApply(r -> r.closest().subList(0, Math.min(n, r.closest().size())));
    }

    /**
     * Signs {@code value} and stores it on the k closest nodes to {@code key}; republished hourly until it
     * expires. {@code ttl} null or zero means the default.
     */
    public CompletableFuture<PutResult> put(NodeId key, byte[] value, Duration ttl) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (value.length > ValueRecord.MAX_VALUE_BYTES) {
            return rejected(DhtRejection.Kind.INVALID_ARGUMENT, "value is " + value.length + " bytes; at most "
                    + ValueRecord.MAX_VALUE_BYTES);
        }
        Duration life = ttl == null || ttl.isZero() ? settings.defaultValueTtl() : ttl;
        if (life.isNegative() || life.compareTo(settings.maxValueTtl()) > 0) {
            return rejected(DhtRejection.Kind.INVALID_ARGUMENT, "ttl must be 0.." + settings.maxValueTtl().toSeconds()
                    + " s, got " + life.toSeconds());
        }
        byte[] copy = value.clone();
        return callAsync(() -> {
            if (table.size() == 0 && !settings.standalone()) {
                throw unavailable();
            }
            long now = clock.millis();
            ValueRecord previous = published.get(key);
            // Greater than any seq used for the key, and time-based so it keeps growing across restarts.
            long seq = Math.max(now, previous == null ? 0 : previous.seq() + 1);
            ValueRecord record = ValueRecord.sign(this.key, self.record(), key, copy, seq, now + life.toMillis());
            published.put(key, record);
            publishedAt.put(key, now);
            return replicate(record).thenApply(count -> new PutResult(record, count));
        });
    }

    /** Local store first, then an iterative FIND_VALUE that stops at the first valid record. */
    public CompletableFuture<GetResult> get(NodeId key) {
        return callAsync(() -> {
            ValueRecord local = localValue(key);
            if (local != null) {
                return CompletableFuture.completedFuture(new GetResult(local, true, 0, 0));
            }
            if (table.size() == 0) {
                if (settings.standalone()) {
                    return CompletableFuture.completedFuture(new GetResult(null, false, 0, 0));
                }
                throw unavailable();
            }
            Run run = lookup(Kind.FIND_VALUE, key, null);
            return run.done.thenApply(r -> {
                if (run.value != null && settings.cacheOnGet()) {
                    cacheAtClosestWithout(run.value, r);
                }
                return new GetResult(run.value, false, r.messages(), r.rounds());
            });
        });
    }

    /** Announces this node as a provider of {@code key} on the k closest nodes, and keeps announcing. */
    public CompletableFuture<Integer> provide(NodeId key) {
        return callAsync(() -> {
            if (table.size() == 0 && !settings.standalone()) {
                throw unavailable();
            }
            providing.add(key);
            keysProvided = providing.size();
            return announce(key);
        });
    }

    /** Stops announcing {@code key}; false if this node was not providing it. */
    public CompletableFuture<Boolean> unprovide(NodeId key) {
        return call(() -> {
            boolean was = providing.remove(key);
            keysProvided = providing.size();
            return was;
        });
    }

    /** Providers of {@code key}: local records first, then an iterative GET_PROVIDERS. {@code limit} 0 means k. */
    public CompletableFuture<ProvidersResult> findProviders(NodeId key, int limit) {
        int want = limit == 0 ? settings.k() : limit;
        if (want < 0 || want > MAX_FIND_PROVIDERS_LIMIT) {
            return rejected(DhtRejection.Kind.INVALID_ARGUMENT, "limit must be 0.." + MAX_FIND_PROVIDERS_LIMIT
                    + ", got " + limit);
        }
        return callAsync(() -> {
            Map<NodeId, Contact> found = new LinkedHashMap<>();
            for (Contact c : store.providers(key)) {
                if (!c.id().equals(selfId)) {
                    found.put(c.id(), c);
                }
            }
            boolean selfProvides = providing.contains(key);
            if (found.size() >= want || table.size() == 0) {
                return CompletableFuture.completedFuture(new ProvidersResult(first(found, want), selfProvides, 0));
            }
            Run run = new Run(Kind.GET_PROVIDERS, key);
            run.providers = found;
            run.limit = want;
            startRun(run);
            return run.done.thenApply(r -> new ProvidersResult(first(found, want), selfProvides, r.messages()));
        });
    }

    /** The routing table, bucket by bucket. */
    public CompletableFuture<List<RoutingTable.BucketSnapshot>> routingTable(boolean includeReplacements) {
        return call(() -> table.snapshot(includeReplacements));
    }

    /** What to persist across a restart. */
    public CompletableFuture<DhtSnapshot> snapshot() {
        return call(() -> {
            List<DhtSnapshot.SavedContact> contacts = new ArrayList<>();
            for (RoutingTable.Entry e : table.entries()) {
                contacts.add(new DhtSnapshot.SavedContact(e.contact(), e.lastSeenUnixMs()));
            }
            List<ValueRecord> values = new ArrayList<>();
            for (RecordStore.HeldValue v : store.values()) {
                values.add(v.record());
            }
            List<DhtSnapshot.SavedProvider> providers = new ArrayList<>();
            for (RecordStore.HeldProvider p : store.providerRecords()) {
                providers.add(new DhtSnapshot.SavedProvider(p.key(), p.provider(), p.expiresAtUnixMs()));
            }
            return new DhtSnapshot(clock.millis(), contacts, values, providers, new ArrayList<>(published.values()),
                    new ArrayList<>(providing));
        });
    }

    /**
     * Puts back a {@link #snapshot()}; call before {@link #start()}. Values are verified again; expired records are
     * dropped; contacts enter the table without pings and are checked by the next bootstrap.
     */
    public CompletableFuture<Void> restore(DhtSnapshot snapshot) {
        return call(() -> {
            long now = clock.millis();
            for (DhtSnapshot.SavedContact c : snapshot.contacts()) {
                if (!c.contact().id().equals(selfId)) {
                    table.restore(c.contact(), c.lastSeenUnixMs());
                }
            }
            for (ValueRecord v : snapshot.values()) {
                if (store.putValue(v).kind() == RecordStore.StoreResult.Kind.INVALID) {
                    recordsRejected++;
                }
            }
            for (DhtSnapshot.SavedProvider p : snapshot.providers()) {
                store.restoreProvider(p.key(), p.provider(), p.expiresAtUnixMs());
            }
            for (ValueRecord v : snapshot.published()) {
                if (v.publisher().nodeId().equals(selfId) && !v.expiredAt(now) && verifies(v)) {
                    published.merge(v.key(), v, (a, b) -> Long.compareUnsigned(a.seq(), b.seq()) >= 0 ? a : b);
                }
            }
            providing.addAll(snapshot.providing());
            keysProvided = providing.size();
            countRecords();
            return null;
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inbound RPCs (p2p.dht.v1.DhtPeer). {@code sender} is the authenticated caller; every call refreshes it in the
    // routing table (Kademlia, section 2.2). A null sender (unknown record) is served without that refresh.

    public CompletableFuture<Contact> onPing(Contact sender) {
        return call(() -> {
            inbound(sender);
            return self;
        });
    }

    /** Up to k contacts closest to {@code target}, closest first, never the caller. */
    public CompletableFuture<List<Contact>> onFindNode(Contact sender, NodeId target) {
        return call(() -> {
            inbound(sender);
            return table.closest(target, settings.k(), sender == null ? null : sender.id());
        });
    }

    public CompletableFuture<PeerRpc.FoundValue> onFindValue(Contact sender, NodeId key) {
        return call(() -> {
            inbound(sender);
            ValueRecord held = localValue(key);
            if (held != null) {
                return new PeerRpc.FoundValue(held, List.of());
            }
            return new PeerRpc.FoundValue(null, table.closest(key, settings.k(), sender == null ? null : sender.id()));
        });
    }

    /**
     * Keeps {@code record} under {@link RecordStore}'s rules. Fails with {@link DhtRejection} INVALID_ARGUMENT for a
     * record that does not verify or has expired, RESOURCE_EXHAUSTED when the store is full.
     */
    public CompletableFuture<PeerRpc.StoreOutcome> onStore(Contact sender, ValueRecord record) {
        return call(() -> {
            inbound(sender);
            RecordStore.StoreResult r = store.putValue(record);
            valuesHeld = store.valueCount();
            return switch (r.kind()) {
                case STORED -> new PeerRpc.StoreOutcome(PeerRpc.StoreOutcome.Kind.STORED, r.heldSeq());
                case STALE -> new PeerRpc.StoreOutcome(PeerRpc.StoreOutcome.Kind.STALE, r.heldSeq());
                case CONFLICT -> new PeerRpc.StoreOutcome(PeerRpc.StoreOutcome.Kind.CONFLICT, r.heldSeq());
                case INVALID -> {
                    recordsRejected++;
                    throw new DhtRejection(DhtRejection.Kind.INVALID_ARGUMENT, r.reason());
                }
                case FULL -> throw new DhtRejection(DhtRejection.Kind.RESOURCE_EXHAUSTED, r.reason());
            };
        });
    }

    /**
     * Holds {@code provider} for {@code key}. A node announces only itself: a provider other than the caller is
     * PERMISSION_DENIED. {@code ttlSeconds} 0 means the provider TTL; more is clamped to it.
     */
    public CompletableFuture<Boolean> onAddProvider(Contact sender, NodeId key, Contact provider, long ttlSeconds) {
        return call(() -> {
            inbound(sender);
            if (sender != null && !provider.id().equals(sender.id())) {
                throw new DhtRejection(DhtRejection.Kind.PERMISSION_DENIED, "node " + sender.id().toHex()
                        + " may announce only itself as provider, not " + provider.id().toHex());
            }
            if (ttlSeconds < 0) {
                throw new DhtRejection(DhtRejection.Kind.INVALID_ARGUMENT, "ttl must not be negative");
            }
            Duration ttl = ttlSeconds == 0 ? settings.providerTtl()
                    : Duration.ofSeconds(Math.min(ttlSeconds, settings.providerTtl().toSeconds()));
            boolean accepted = store.addProvider(key, provider, ttl);
            providersHeld = store.providerCount();
            return accepted;
        });
    }

    public CompletableFuture<PeerRpc.FoundProviders> onGetProviders(Contact sender, NodeId key) {
        return call(() -> {
            inbound(sender);
            List<Contact> providers = store.providers(key);
            if (providers.size() > settings.k()) {
                providers = providers.subList(0, settings.k());
            }
            return new PeerRpc.FoundProviders(providers,
                    table.closest(key, settings.k(), sender == null ? null : sender.id()));
        });
    }

    /**
     * PEX (BEP 11): takes up to {@value Kademlia#MAX_PEERS_PER_PEX} contacts as unverified (admitted to the table only
     * after a liveness check) and answers with this node's recently-alive contacts. At most one message per peer per
     * PEX interval: more fail with RESOURCE_EXHAUSTED.
     */
    public CompletableFuture<List<Contact>> onExchangePeers(Contact sender, List<Contact> peers) {
        return call(() -> {
            inbound(sender);
            pexReceived++;
            long now = clock.millis();
            if (sender != null) {
                Long last = pexInboundAt.get(sender.id());
                if (last != null && now - last < settings.pexInterval().toMillis()) {
                    throw new DhtRejection(DhtRejection.Kind.RESOURCE_EXHAUSTED, "PEX at most once per "
                            + settings.pexInterval().toSeconds() + " s per peer (BEP 11)");
                }
                pexInboundAt.put(sender.id(), now);
                pexOutboundAt.put(sender.id(), now);  // our answer is our PEX message to the caller this minute
            }
            acceptPex(peers);
            return pexList(sender == null ? null : sender.id());
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Bootstrap

    private void attemptBootstrap() {
        if (closed || bootstrapping) {
            return;
        }
        bootstrapping = true;
        if (!joined) {
            phase = BootstrapState.CONNECTING;
        }
        List<CompletableFuture<Contact>> pings = new ArrayList<>();
        Set<NodeId> asked = new HashSet<>();
        for (Contact c : settings.bootstrapContacts()) {
            if (!c.id().equals(selfId) && asked.add(c.id())) {
                pings.add(ping(c));
            }
        }
        for (Endpoint e : settings.bootstrapEndpoints()) {
            if (!e.equals(self.endpoint())) {
                pings.add(pingAddress(e));
            }
        }
        // Contacts restored from a snapshot or learned from inbound calls are bootstrap candidates too.
        for (Contact c : table.closest(selfId, settings.k())) {
            if (asked.add(c.id())) {
                pings.add(ping(c));
            }
        }
        // Peers learned by PEX get their liveness check here: a node whose bootstrap node died joins through them.
        for (Contact c : new ArrayList<>(unverified.values())) {
            if (asked.add(c.id())) {
                unverified.remove(c.id());
                pings.add(verifyPexContact(c));
            }
        }
        CompletableFuture.allOf(pings.toArray(CompletableFuture[]::new)).whenCompleteAsync((v, e) -> {
            if (closed) {
                return;
            }
            Contact answered = null;
            for (CompletableFuture<Contact> p : pings) {
                Contact c = p.getNow(null);
                if (c != null) {
                    answered = c;
                    break;
                }
            }
            if (answered == null || table.size() == 0) {
                retryBootstrap();
                return;
            }
            phase = BootstrapState.JOINING;
            if (unverified.isEmpty()) {
                exchangePeers(answered);  // learn a few live peers early: a fallback if the bootstrap node dies
            }
            // Kademlia, section 2.3: look up the own ID, then refresh every bucket further out than the closest
            // neighbour.
            lookup(Kind.FIND_NODE, selfId, null).done.whenCompleteAsync((found, err) -> {
                if (closed) {
                    return;
                }
                if (err != null || found.closest().isEmpty()) {
                    retryBootstrap();
                    return;
                }
                refreshFurtherOut(found.closest()).whenCompleteAsync((x, err2) -> {
                    bootstrapping = false;
                    backoff = settings.bootstrapBackoffInitial();
                    joined = true;
                    if (phase != BootstrapState.STANDALONE) {
                        phase = BootstrapState.JOINED;
                    }
                    joinedFuture.complete(null);
                }, executor);
            }, executor);
        }, executor);
    }

    private void retryBootstrap() {
        bootstrapping = false;
        Duration delay = backoff;
        double jitter = 1 + BACKOFF_JITTER * (2 * random.nextDouble() - 1);
        backoff = min(settings.bootstrapBackoffMax(), backoff.multipliedBy(2));
        schedule(Duration.ofMillis(Math.max(1, (long) (delay.toMillis() * jitter))), this::attemptBootstrap);
    }

    /**
     * Refreshes the buckets further out than the closest neighbour that are not full yet, given the self-lookup's
     * result. Buckets whose whole range lies within the distance of the k-th closest node found are skipped: the
     * self-lookup has already seen every node in them. A refresh stops as soon as its bucket holds k contacts:
     * filling the bucket is its purpose (BEP 5), and converging on a random target beyond that only costs messages.
     */
    private CompletableFuture<Void> refreshFurtherOut(List<Contact> closestToSelf) {
        if (closestToSelf.size() < settings.k()) {
            return CompletableFuture.completedFuture(null);  // fewer than k nodes reachable: all of them were seen
        }
        int covered = selfId.commonPrefixLength(closestToSelf.get(closestToSelf.size() - 1).id());
        int last = Math.min(table.deepestNonEmptyBucket() - 1, covered);
        List<CompletableFuture<Lookup.Result>> refreshes = new ArrayList<>();
        for (int i = 0; i <= last; i++) {
            if (table.bucketSize(i) < settings.k()) {
                int bucket = i;
                table.touch(bucket);
                refreshes.add(lookup(Kind.FIND_NODE, table.randomIdInBucket(bucket, random),
                        () -> table.bucketSize(bucket) >= settings.k()).done);
            }
        }
        return CompletableFuture.allOf(refreshes.toArray(CompletableFuture[]::new))
                .exceptionally(e -> null);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Periodic work

    private void every(Duration period, Runnable task) {
        // A random first delay spreads the work of nodes started together over the period.
        long first = (long) (random.nextDouble() * period.toMillis());
        schedulePeriodic(Duration.ofMillis(first), period, task);
    }

    private void schedulePeriodic(Duration delay, Duration period, Runnable task) {
        Scheduler.Cancellable[] handle = new Scheduler.Cancellable[1];
        handle[0] = schedule(delay, () -> {
            timers.remove(handle[0]);
            try {
                task.run();
            } finally {
                if (!closed) {
                    schedulePeriodic(period, period, task);
                }
            }
        });
        timers.add(handle[0]);
    }

    private Scheduler.Cancellable schedule(Duration delay, Runnable task) {
        return scheduler.schedule(delay, () -> executor.execute(() -> {
            if (!closed) {
                task.run();
            }
        }));
    }

    /** Expiry, rejoining when the table has emptied, and BEP 5 bucket refresh. */
    private void maintain() {
        store.expire();
        countRecords();
        long cutoff = clock.millis() - settings.pexInterval().toMillis();
        pexInboundAt.values().removeIf(t -> t < cutoff);
        pexOutboundAt.values().removeIf(t -> t < cutoff);
        if (table.size() == 0) {
            if (!settings.standalone() || settings.hasBootstrapNodes() || !unverified.isEmpty()) {
                attemptBootstrap();
            }
            return;
        }
        if (!joined) {
            return;
        }
        for (int bucket : table.bucketsToRefresh(settings.refreshInterval())) {
            table.touch(bucket);
            lookup(Kind.FIND_NODE, table.randomIdInBucket(bucket, random), null);
        }
    }

    /**
     * Kademlia, section 2.5: holders republish the values they hold once an interval has passed since they got
     * them, so that the k closest nodes hold them again after churn; a holder that is no longer among the k closest
     * it knows leaves that to them. The publisher republishes its own records every interval until they expire.
     */
    private void republishValues() {
        long now = clock.millis();
        store.expire();
        long cutoff = now - settings.valueRepublishInterval().toMillis();
        Iterator<ValueRecord> own = published.values().iterator();
        while (own.hasNext()) {
            ValueRecord r = own.next();
            if (r.expiredAt(now)) {
                own.remove();
                publishedAt.remove(r.key());
            } else if (publishedAt.getOrDefault(r.key(), 0L) <= cutoff) {
                publishedAt.put(r.key(), now);
                replicate(r);
            }
        }
        for (RecordStore.HeldValue v : store.values()) {
            NodeId key = v.record().key();
            if (v.lastStoredUnixMs() <= cutoff && !published.containsKey(key)) {
                store.markStored(key);
                if (selfAmongClosest(key, table.closest(key, settings.k()))) {
                    replicate(v.record());
                }
            }
        }
        countRecords();
    }

    /** go-libp2p-kad-dht: providers re-announce every 22 h so their 48 h records never lapse. */
    private void republishProviders() {
        for (NodeId k : new ArrayList<>(providing)) {
            announce(k);
        }
    }

    /**
     * BEP 11 PEX round: swap recently-alive contacts with a few random peers (each at most once per interval), and
     * give a few unverified PEX contacts their liveness check.
     */
    private void pexRound() {
        if (table.size() == 0) {
            return;
        }
        // Oldest first; a contact whose bucket is full is not needed now and leaves the pool.
        Iterator<Contact> it = unverified.values().iterator();
        List<Contact> toCheck = new ArrayList<>();
        int scanned = 0;
        while (it.hasNext() && toCheck.size() < Kademlia.PEX_VERIFICATIONS_PER_ROUND
                && scanned++ < Kademlia.MAX_PEERS_PER_PEX) {
            Contact c = it.next();
            it.remove();
            if (table.wouldAdd(c)) {
                toCheck.add(c);
            }
        }
        for (Contact c : toCheck) {
            verifyPexContact(c);
        }
        long now = clock.millis();
        for (int i = 0; i < settings.pexPeersPerRound(); i++) {
            Contact peer = table.randomContact(random).orElse(null);
            if (peer == null) {
                return;
            }
            Long last = pexOutboundAt.get(peer.id());
            if (last == null || now - last >= settings.pexInterval().toMillis()) {
                exchangePeers(peer);
            }
        }
    }

    private void exchangePeers(Contact peer) {
        pexOutboundAt.put(peer.id(), clock.millis());
        pexSent++;
        rpcsSent++;
        rpc.exchangePeers(peer, pexList(peer.id())).whenCompleteAsync((theirs, err) -> {
            if (closed) {
                return;
            }
            if (err != null) {
                rpcFailed(peer);
            } else {
                heard(peer);
                acceptPex(theirs);
            }
        }, executor);
    }

    /** This node's contacts seen alive recently (BEP 5 "good"), at most the PEX maximum, never {@code exclude}. */
    private List<Contact> pexList(NodeId exclude) {
        Duration window = max(settings.questionableAfter(), settings.pexInterval().multipliedBy(2));
        List<Contact> fresh = table.recentlySeen(window, Kademlia.MAX_PEERS_PER_PEX + 1);
        List<Contact> out = new ArrayList<>(Math.min(fresh.size(), Kademlia.MAX_PEERS_PER_PEX));
        for (Contact c : fresh) {
            if (out.size() < Kademlia.MAX_PEERS_PER_PEX && (exclude == null || !c.id().equals(exclude))) {
                out.add(c);
            }
        }
        return out;
    }

    private void acceptPex(List<Contact> peers) {
        int taken = 0;
        for (Contact c : peers) {
            if (taken++ >= Kademlia.MAX_PEERS_PER_PEX) {
                pexRecordsDropped += peers.size() - Kademlia.MAX_PEERS_PER_PEX;  // BEP 11 caps a message at 50
                break;
            }
            if (joined ? !table.wouldAdd(c) : table.contains(c.id())) {
                continue;  // once joined, only contacts that would fill a gap are worth a liveness check
            }
            if (c.id().equals(selfId) || !c.id().equals(c.record().nodeId())) {
                pexRecordsDropped++;
                continue;
            }
            unverified.remove(c.id());
            unverified.put(c.id(), c);
            if (unverified.size() > Kademlia.MAX_UNVERIFIED_PEX_CONTACTS) {
                Iterator<NodeId> oldest = unverified.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
        }
    }

    /** The liveness check a PEX contact needs before it enters the table: it must answer a ping as itself. */
    private CompletableFuture<Contact> verifyPexContact(Contact c) {
        rpcsSent++;
        return rpc.ping(c).handleAsync((fresh, err) -> {
            if (err != null || fresh == null || !fresh.id().equals(c.id())) {
                rpcsFailed++;
                pexRecordsDropped++;
                return null;
            }
            heard(fresh);
            return fresh;
        }, executor);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Records

    private ValueRecord localValue(NodeId key) {
        ValueRecord held = store.getValue(key).orElse(null);
        if (held != null) {
            return held;
        }
        ValueRecord own = published.get(key);
        return own != null && !own.expiredAt(clock.millis()) ? own : null;
    }

    /** Looks up the k closest to the record's key and stores it on each; counts the nodes that hold it after. */
    private CompletableFuture<Integer> replicate(ValueRecord record) {
        return lookup(Kind.FIND_NODE, record.key(), null).done.thenComposeAsync(result -> {
            List<CompletableFuture<Boolean>> stores = new ArrayList<>();
            int local = 0;
            List<Contact> targets = result.closest();
            if (selfAmongClosest(record.key(), targets)) {
                // This node is one of the k closest: it keeps a copy and takes one of the k places.
                RecordStore.StoreResult r = store.putValue(record);
                if (r.kind() == RecordStore.StoreResult.Kind.STORED || r.heldSeq() == record.seq()) {
                    local = 1;
                }
                valuesHeld = store.valueCount();
                targets = targets.subList(0, Math.min(targets.size(), settings.k() - 1));
            }
            for (Contact c : targets) {
                stores.add(storeAt(c, record));
            }
            int fromSelf = local;
            return CompletableFuture.allOf(stores.toArray(CompletableFuture[]::new)).thenApply(v -> {
                int held = fromSelf;
                for (CompletableFuture<Boolean> s : stores) {
                    if (s.join()) {
                        held++;
                    }
                }
                return held;
            });
        }, executor);
    }

    private CompletableFuture<Boolean> storeAt(Contact peer, ValueRecord record) {
        rpcsSent++;
        return rpc.store(peer, record).handleAsync((outcome, err) -> {
            if (closed) {
                return false;
            }
            if (err != null) {
                rpcFailed(peer);
                return false;
            }
            heard(peer);
            return outcome.kind() == PeerRpc.StoreOutcome.Kind.STORED || outcome.heldSeq() == record.seq();
        }, executor);
    }

    private boolean selfAmongClosest(NodeId key, List<Contact> closest) {
        if (closest.size() < settings.k()) {
            return true;
        }
        return NodeId.byDistanceTo(key).compare(selfId, closest.get(closest.size() - 1).id()) < 0;
    }

    /**
     * Kademlia, section 2.5: when a node learns of a new node that belongs among the k closest to a key it holds,
     * it replicates that key to it. Only a holder that is itself among the k closest it knows pushes, so stale
     * holders far from the key stay quiet.
     */
    private void replicateTo(Contact newcomer) {
        if (store.valueCount() == 0 || closed) {
            return;
        }
        for (RecordStore.HeldValue v : store.values()) {
            NodeId k = v.record().key();
            List<Contact> closest = table.closest(k, settings.k());
            if (closest.contains(newcomer) && selfAmongClosest(k, closest)) {
                storeAt(newcomer, v.record());
            }
        }
    }

    /** Kademlia, section 2.3: a found value is stored at the closest queried node that did not return it. */
    private void cacheAtClosestWithout(ValueRecord value, Lookup.Result r) {
        for (Contact c : r.closest()) {
            if (!c.equals(r.valueFrom())) {
                storeAt(c, value);
                return;
            }
        }
    }

    private boolean verifies(ValueRecord record) {
        try {
            record.verify();
            return true;
        } catch (InvalidRecordException e) {
            return false;
        }
    }

    private CompletableFuture<Integer> announce(NodeId k) {
        return lookup(Kind.FIND_NODE, k, null).done.thenComposeAsync(result -> {
            Contact me = self;
            long ttlSeconds = settings.providerTtl().toSeconds();
            List<CompletableFuture<Boolean>> acks = new ArrayList<>();
            int local = 0;
            List<Contact> targets = result.closest();
            if (selfAmongClosest(k, targets)) {
                if (store.addProvider(k, me, settings.providerTtl())) {
                    local = 1;
                    providersHeld = store.providerCount();
                }
                targets = targets.subList(0, Math.min(targets.size(), settings.k() - 1));
            }
            for (Contact c : targets) {
                rpcsSent++;
                acks.add(rpc.addProvider(c, k, me, ttlSeconds).handleAsync((ok, err) -> {
                    if (err != null) {
                        rpcFailed(c);
                        return false;
                    }
                    heard(c);
                    return ok;
                }, executor));
            }
            int fromSelf = local;
            return CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).thenApply(v -> {
                int n = fromSelf;
                for (CompletableFuture<Boolean> a : acks) {
                    if (a.join()) {
                        n++;
                    }
                }
                return n;
            });
        }, executor);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Lookups

    private Run lookup(Kind kind, NodeId target, BooleanSupplier stopWhen) {
        Run run = new Run(kind, target);
        run.stopWhen = stopWhen;
        startRun(run);
        return run;
    }

    private void startRun(Run run) {
        lookupsStarted++;
        running.add(run);
        drive(run);
    }

    private void drive(Run run) {
        if (run.driving) {
            run.again = true;  // an answer arrived synchronously inside send(): the outer loop picks it up
            return;
        }
        run.driving = true;
        try {
            do {
                run.again = false;
                while (!closed) {
                    Lookup.Step step = run.lookup.next(clock.instant());
                    if (step instanceof Lookup.Query q) {
                        send(run, q.peer());
                    } else if (step instanceof Lookup.Wait w) {
                        arm(run, w.until().toEpochMilli());
                        break;
                    } else {
                        finish(run, ((Lookup.Finished) step).result());
                        return;
                    }
                }
            } while (run.again && !closed);
        } finally {
            run.driving = false;
        }
    }

    /** Wakes the lookup at its earliest request deadline, so timeouts are seen even if the transport is silent. */
    private void arm(Run run, long untilMs) {
        if (run.wakeup != null && run.wakeupAt <= untilMs) {
            return;
        }
        if (run.wakeup != null) {
            run.wakeup.cancel();
        }
        run.wakeupAt = untilMs;
        run.wakeup = schedule(Duration.ofMillis(Math.max(0, untilMs - clock.millis())), () -> {
            run.wakeup = null;
            run.wakeupAt = Long.MAX_VALUE;
            if (!run.lookup.isFinished()) {
                drive(run);
            }
        });
    }

    private void finish(Run run, Lookup.Result result) {
        if (!running.remove(run)) {
            return;
        }
        if (run.wakeup != null) {
            run.wakeup.cancel();
            run.wakeup = null;
        }
        boolean success = switch (run.kind) {
            case FIND_NODE -> !result.closest().isEmpty();
            case FIND_VALUE -> run.value != null;
            case GET_PROVIDERS -> !run.providers.isEmpty();
        };
        if (success) {
            lookupsSucceeded++;
        }
        if (!result.closest().isEmpty() && !run.target.equals(selfId)) {
            table.touchBucketOf(run.target);  // a completed lookup in a bucket's range refreshes it (go-libp2p)
        }
        run.done.complete(result);
    }

    private void send(Run run, Contact peer) {
        rpcsSent++;
        switch (run.kind) {
            case FIND_NODE -> rpc.findNode(peer, run.target).whenCompleteAsync((closer, err) -> {
                if (answered(run, peer, err)) {
                    run.lookup.onResponse(peer, closer);
                }
                afterAnswer(run);
            }, executor);
            case FIND_VALUE -> rpc.findValue(peer, run.target).whenCompleteAsync((found, err) -> {
                if (answered(run, peer, err)) {
                    if (found.record() == null) {
                        run.lookup.onResponse(peer, found.closer());
                    } else if (validValue(found.record(), run.target)) {
                        if (!run.lookup.isFinished()) {
                            run.value = found.record();
                            run.lookup.onValue(peer);
                        }
                    } else {
                        // A forged or stale record: the peer lied; drop its answer and count it against it.
                        recordsRejected++;
                        table.failed(peer.id());
                        run.lookup.onFailure(peer);
                    }
                }
                afterAnswer(run);
            }, executor);
            case GET_PROVIDERS -> rpc.getProviders(peer, run.target).whenCompleteAsync((found, err) -> {
                if (answered(run, peer, err)) {
                    for (Contact p : found.providers()) {
                        if (!p.id().equals(selfId) && run.providers.size() < MAX_FIND_PROVIDERS_LIMIT) {
                            run.providers.putIfAbsent(p.id(), p);
                        }
                    }
                    run.lookup.onResponse(peer, found.closer());
                    if (run.providers.size() >= run.limit) {
                        run.lookup.stop();
                    }
                }
                afterAnswer(run);
            }, executor);
            default -> throw new IllegalStateException();
        }
    }

    /** Common bookkeeping of an answer; returns whether it succeeded. */
    private boolean answered(Run run, Contact peer, Throwable err) {
        if (closed) {
            return false;
        }
        if (err != null) {
            rpcFailed(peer);
            run.lookup.onFailure(peer);
            return false;
        }
        heard(peer);
        return true;
    }

    private void afterAnswer(Run run) {
        if (closed) {
            return;
        }
        if (run.stopWhen != null && !run.lookup.isFinished() && run.stopWhen.getAsBoolean()) {
            run.lookup.stop();
        }
        drive(run);
    }

    /** The checks a get applies to a FIND_VALUE answer: the asked key, unexpired, publisher's signature. */
    private boolean validValue(ValueRecord record, NodeId key) {
        return record.key().equals(key) && !record.expiredAt(clock.millis()) && verifies(record);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Routing-table bookkeeping

    private void inbound(Contact sender) {
        rpcsReceived++;
        heard(sender);
    }

    /** {@code c} talked to us or answered us: refresh it, and ping the oldest of a full bucket if told to. */
    private void heard(Contact c) {
        if (c == null || c.id().equals(selfId)) {
            return;
        }
        RoutingTable.Observation o = table.observe(c);
        if (o.outcome() == RoutingTable.Outcome.PING_OLDEST) {
            Contact oldest = o.oldest();
            rpcsSent++;
            rpc.ping(oldest).whenCompleteAsync((fresh, err) -> {
                if (err != null) {
                    rpcsFailed++;
                }
                table.pingResult(oldest, err == null);
            }, executor);
        }
    }

    private void rpcFailed(Contact peer) {
        rpcsFailed++;
        table.failed(peer.id());
    }

    private CompletableFuture<Contact> ping(Contact c) {
        rpcsSent++;
        return rpc.ping(c).handleAsync((fresh, err) -> {
            if (err != null) {
                rpcFailed(c);
                return null;
            }
            Contact who = fresh != null && fresh.id().equals(c.id()) ? fresh : c;
            heard(who);
            return who;
        }, executor);
    }

    private CompletableFuture<Contact> pingAddress(Endpoint e) {
        rpcsSent++;
        return rpc.pingAddress(e).handleAsync((fresh, err) -> {
            if (err != null || fresh == null) {
                rpcsFailed++;
                return null;
            }
            heard(fresh);
            return fresh;
        }, executor);
    }

    private void countRecords() {
        valuesHeld = store.valueCount();
        providersHeld = store.providerCount();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers

    private <T> CompletableFuture<T> call(Callable<T> action) {
        CompletableFuture<T> result = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                result.complete(action.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    private <T> CompletableFuture<T> callAsync(Supplier<CompletableFuture<T>> action) {
        CompletableFuture<T> result = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                action.get().whenComplete((v, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e instanceof CompletionException && e.getCause() != null
                                ? e.getCause() : e);
                    } else {
                        result.complete(v);
                    }
                });
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return result;
    }

    private static <T> CompletableFuture<T> rejected(DhtRejection.Kind kind, String message) {
        return CompletableFuture.failedFuture(new DhtRejection(kind, message));
    }

    private static DhtRejection unavailable() {
        return new DhtRejection(DhtRejection.Kind.UNAVAILABLE,
                "the routing table is empty: the node has not joined the network yet");
    }

    private static List<Contact> first(Map<NodeId, Contact> found, int n) {
        List<Contact> all = new ArrayList<>(found.values());
        return Collections.unmodifiableList(all.size() > n ? all.subList(0, n) : all);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
