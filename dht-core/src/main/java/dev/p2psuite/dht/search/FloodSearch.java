package dev.p2psuite.dht.search;

import static dev.p2psuite.dht.search.SearchLimits.DEFAULT_TIMEOUT_MS;
import static dev.p2psuite.dht.search.SearchLimits.MAX_HITS_PER_MESSAGE;
import static dev.p2psuite.dht.search.SearchLimits.MAX_HITS_PER_STREAM;
import static dev.p2psuite.dht.search.SearchLimits.MAX_TIMEOUT_MS;
import static dev.p2psuite.dht.search.SearchLimits.MAX_TTL;
import static dev.p2psuite.dht.search.SearchLimits.QUERY_ID_BYTES;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtRejection;
import dev.p2psuite.dht.core.Scheduler;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * One node's flood search (Gnutella 0.6 query routing over a {@link SearchRpc}): answers a query from the local
 * {@link MetadataIndex}, forwards it to its neighbours with ttl - 1 and hops + 1, drops duplicates by query ID, and
 * streams its own hits and the verified hits relayed back from its neighbours to its caller, until every forward
 * ended, the hit limit is reached or its deadline (the caller's, minus a margin per hop) passes.
 *
 * <p><b>Threading.</b> Query state lives on the serial {@code executor}; public methods may be called from any
 * thread. Validation, the caller's rate limit and duplicate suppression run at once on the calling thread, so a
 * refused or duplicate query is answered before {@code onQuery} returns. {@link HitSink} callbacks are serial.
 * Hit signatures are checked on the thread that delivers them, before they reach the executor.
 */
public final class FloodSearch {

    /** A running query; cancel it when its caller goes away (cancels its forwards too). */
    public interface Handle {
        void cancel();
    }

    private static final Handle ENDED = () -> { };

    /** Callers tracked at most for the inbound rate limit. */
    static final int MAX_TRACKED_CALLERS = 10_000;
    /** An incomplete neighbour set is re-checked at most this often (the routing table may have grown). */
    static final long INCOMPLETE_SET_RECHECK_MS = 1_000;

    private final NodeKey key;
    private final Supplier<SignedPeerRecord> self;
    private final SearchSettings settings;
    private final MetadataIndex index;
    private final NeighbourSource source;
    private final SearchRpc rpc;
    private final Scheduler scheduler;
    private final Executor executor;
    private final InstantSource clock;
    private final RandomGenerator random;
    private final HitVerifier verifier = new HitVerifier();
    private final SeenQueries seen;
    private final ForwardLimiter forwards;
    private final KeyedRateLimiter<NodeId> callers;
    private final long marginMs;

    // Confined to the executor.
    private List<Contact> neighbours = List.of();
    private long neighboursAt;
    private boolean neighboursKnown;
    private CompletableFuture<List<Contact>> refreshing;

    private volatile int neighbourCount;
    private final LongAdder originated = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder forwarded = new LongAdder();
    private final LongAdder rateLimited = new LongAdder();
    private final LongAdder invalid = new LongAdder();
    private final LongAdder hitsReturned = new LongAdder();
    private final LongAdder hitsDropped = new LongAdder();
    private final LongAdder refusedOverRate = new LongAdder();

    /** One query at this node: what it asks, where its hits go, and its forwards. */
    private final class Run implements Handle {
        final List<String> terms;
        final int maxHits;
        final HitSink sink;
        final Set<Hit.Key> sent = new HashSet<>();
        final List<SearchRpc.Call> calls = new ArrayList<>();
        byte[] queryId;
        SignedPeerRecord origin;
        int delivered;
        int open;
        volatile boolean done;
        Scheduler.Cancellable timer;

        Run(List<String> terms, int maxHits, HitSink sink) {
            this.terms = terms;
            this.maxHits = maxHits;
            this.sink = sink;
        }

        @Override
        public void cancel() {
            executor.execute(() -> abort(this));
        }
    }

    /**
     * @param key       signs this node's own hits
     * @param self      this node's current signed record (the provider of its own hits)
     * @param executor  serial executor for query state
     * @param scheduler fires deadlines (its tasks are handed to {@code executor})
     */
    public FloodSearch(NodeKey key, Supplier<SignedPeerRecord> self, SearchSettings settings, MetadataIndex index,
                       NeighbourSource neighbours, SearchRpc rpc, Scheduler scheduler, Executor executor,
                       InstantSource clock, RandomGenerator random) {
        this.key = Objects.requireNonNull(key, "key");
        this.self = Objects.requireNonNull(self, "self");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.index = Objects.requireNonNull(index, "index");
        this.source = Objects.requireNonNull(neighbours, "neighbours");
        this.rpc = Objects.requireNonNull(rpc, "rpc");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.seen = new SeenQueries(settings.duplicateMemory(), SeenQueries.DEFAULT_CAPACITY);
        this.forwards = new ForwardLimiter(settings.forwardRatePerNeighbour(), settings.forwardRateTotal(),
                clock.millis());
        this.callers = new KeyedRateLimiter<>(settings.queryRatePerPeer(), callerBurst(), MAX_TRACKED_CALLERS);
        this.marginMs = settings.hopMargin().toMillis();
    }

    public SearchSettings settings() {
        return settings;
    }

    public MetadataIndex index() {
        return index;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Origination (SearchInternal.Search)

    /**
     * Originates a search; raw numbers as on the wire (0 = default). Invalid input fails {@code sink} at once with
     * INVALID_ARGUMENT. Hits reach {@code sink} as they arrive, deduplicated by (content, provider).
     */
    public Handle originate(List<String> terms, long ttl, long maxHits, long timeoutMs, HitSink sink) {
        SearchParams params;
        try {
            params = SearchParams.of(terms, ttl, maxHits, timeoutMs, settings.defaultTtl());
        } catch (DhtRejection r) {
            sink.failed(r);
            return ENDED;
        }
        return originate(params, sink);
    }

    public Handle originate(SearchParams params, HitSink sink) {
        originated.increment();
        Run run = new Run(params.terms(), params.maxHits(), sink);
        executor.execute(() -> {
            if (run.done) {
                return;
            }
            byte[] id = new byte[QUERY_ID_BYTES];
            random.nextBytes(id);
            long now = clock.millis();
            run.queryId = id;
            run.origin = self.get();
            seen.firstSighting(id, now); // our own query coming back is a duplicate like any other
            long end = now + params.timeoutMs();
            arm(run, end - now);
            answerLocally(run);
            flood(run, params.ttl(), 0, end, null);
        });
        return run;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inbound (SearchPeer.Query)

    /**
     * A query from the authenticated {@code caller}, raw numbers as on the wire. Malformed: {@code sink} fails at
     * once with INVALID_ARGUMENT; over the caller's rate: RESOURCE_EXHAUSTED; a query ID seen within the duplicate
     * memory: {@code sink} completes at once with no hits.
     *
     * @param deadlineUnixMs the call's deadline, 0 if it has none
     */
    public Handle onQuery(NodeId caller, byte[] queryId, long ttl, long hops, List<String> terms, long maxHits,
                          SignedPeerRecord origin, long deadlineUnixMs, HitSink sink) {
        received.increment();
        Query query;
        try {
            query = Query.fromPeer(queryId, ttl, hops, terms, maxHits, origin);
        } catch (DhtRejection r) {
            invalid.increment();
            sink.failed(r);
            return ENDED;
        }
        long now = clock.millis();
        if (!callers.tryTake(caller, now)) {
            refusedOverRate.increment();
            sink.failed(new DhtRejection(DhtRejection.Kind.RESOURCE_EXHAUSTED, String.format(Locale.ROOT,
                    "node %s exceeded its query rate here (%s queries/s, burst %s); forward at most that many",
                    caller.toHex(), rate(settings.queryRatePerPeer()), rate(callerBurst()))));
            return ENDED;
        }
        if (!seen.firstSighting(query.id(), now)) {
            // Gnutella 0.6: a message whose ID was seen is dropped, so each node answers a query once.
            duplicates.increment();
            sink.completed();
            return ENDED;
        }
        Run run = new Run(query.terms(), query.maxHits(), sink);
        run.queryId = query.id();
        run.origin = query.origin();
        executor.execute(() -> {
            if (run.done) {
                return;
            }
            long t = clock.millis();
            long deadline = deadlineUnixMs <= 0 ? t + DEFAULT_TIMEOUT_MS : Math.min(deadlineUnixMs, t + MAX_TIMEOUT_MS);
            long end = deadline - marginMs; // our last hits must still reach the caller before its deadline
            arm(run, Math.max(0, end - t));
            answerLocally(run);
            // Gnutella 0.6: ttl - 1 and hops + 1 on each forward; ttl + hops never exceeds the maximum TTL.
            int nextTtl = Math.min(query.ttl() - 1, MAX_TTL - (query.hops() + 1));
            flood(run, nextTtl, query.hops() + 1, end, caller);
        });
        return run;
    }

    /** Counts a query the adapter refused as malformed before it got here (e.g. an unparsable origin record). */
    public DhtRejection invalidQuery(String message) {
        received.increment();
        invalid.increment();
        return Query.invalid(message);
    }

    // ---------------------------------------------------------------------------------------------------------

    private void arm(Run run, long delayMs) {
        run.timer = scheduler.schedule(Duration.ofMillis(delayMs), () -> executor.execute(() -> finish(run)));
    }

    private void answerLocally(Run run) {
        if (run.done) {
            return;
        }
        List<IndexedContent> local = index.match(run.terms, run.maxHits);
        if (local.isEmpty()) {
            return;
        }
        SignedPeerRecord me = self.get();
        List<Hit> hits = new ArrayList<>(local.size());
        for (IndexedContent c : local) {
            Hit h = Hit.own(run.queryId, c, me, key);
            if (run.sent.add(h.key())) {
                hits.add(h);
            }
        }
        emit(run, hits);
    }

    /** Forwards the query to the neighbours (never back to its caller or its origin) within the rate limits. */
    private void flood(Run run, int ttl, int hops, long end, NodeId caller) {
        if (run.done) {
            return;
        }
        if (ttl < 1 || end - marginMs <= clock.millis()) { // TTL spent, or no time left for another hop
            finish(run);
            return;
        }
        neighbours().whenComplete((list, failure) -> {
            if (run.done) {
                return;
            }
            NodeId originId = run.origin == null ? null : run.origin.nodeId();
            long now = clock.millis();
            for (Contact n : list == null ? List.<Contact>of() : list) {
                if (n.id().equals(caller) || n.id().equals(originId)) {
                    continue;
                }
                if (!forwards.tryForward(n.id(), now)) {
                    rateLimited.increment();
                    continue;
                }
                forwarded.increment();
                run.open++;
                int want = Math.min(MAX_HITS_PER_STREAM, run.maxHits - run.delivered);
                Query copy = new Query(run.queryId, ttl, hops, run.terms, want, run.origin);
                run.calls.add(rpc.query(n, copy, end, listener(run, n)));
            }
            if (run.open == 0) {
                finish(run);
            }
        });
    }

    private SearchRpc.Listener listener(Run run, Contact neighbour) {
        return new SearchRpc.Listener() {
            @Override
            public void onHits(List<Hit> hits) {
                List<Hit> genuine = new ArrayList<>(hits.size());
                if (!run.done) {
                    for (Hit h : hits) {
                        if (verifier.verify(run.queryId, h)) {
                            genuine.add(h);
                        }
                    }
                }
                int dropped = run.done ? 0 : hits.size() - genuine.size();
                executor.execute(() -> relay(run, genuine, dropped));
            }

            @Override
            public void onEnd(Throwable failure) {
                executor.execute(() -> ended(run, neighbour, failure));
            }
        };
    }

    private void relay(Run run, List<Hit> hits, int dropped) {
        hitsDropped.add(dropped);
        if (run.done) {
            return;
        }
        List<Hit> out = new ArrayList<>(hits.size());
        for (Hit h : hits) {
            if (run.delivered + out.size() >= run.maxHits) {
                break;
            }
            if (run.sent.add(h.key())) {
                out.add(h.withHops(h.hops() + 1));
            }
        }
        emit(run, out);
    }

    private void ended(Run run, Contact neighbour, Throwable failure) {
        if (failure instanceof SearchRpc.Unreachable) {
            dropNeighbour(neighbour);
        }
        if (run.done) {
            return;
        }
        if (--run.open == 0) {
            finish(run);
        }
    }

    private void emit(Run run, List<Hit> hits) {
        for (int from = 0; from < hits.size() && !run.done; from += MAX_HITS_PER_MESSAGE) {
            List<Hit> batch = List.copyOf(hits.subList(from, Math.min(hits.size(), from + MAX_HITS_PER_MESSAGE)));
            try {
                run.sink.hits(batch);
            } catch (RuntimeException e) {
                abort(run); // the caller's stream is gone
                return;
            }
            run.delivered += batch.size();
            hitsReturned.add(batch.size());
        }
        if (run.delivered >= run.maxHits) {
            finish(run);
        }
    }

    private void finish(Run run) {
        if (stop(run)) {
            try {
                run.sink.completed();
            } catch (RuntimeException e) {
                // the caller is gone; nothing to tell
            }
        }
    }

    private void abort(Run run) {
        stop(run);
    }

    /** Ends a run's forwards and timer; false if it had already ended. */
    private boolean stop(Run run) {
        if (run.done) {
            return false;
        }
        run.done = true;
        if (run.timer != null) {
            run.timer.cancel();
        }
        for (SearchRpc.Call c : run.calls) {
            c.cancel();
        }
        run.calls.clear();
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Neighbours

    /** The neighbour set, re-checked against the routing table when stale, never known, or short. */
    CompletableFuture<List<Contact>> neighbours() {
        long now = clock.millis();
        boolean stale = !neighboursKnown || now - neighboursAt >= settings.neighbourRefresh().toMillis()
                || (neighbours.size() < settings.neighbours() && now - neighboursAt >= INCOMPLETE_SET_RECHECK_MS);
        if (!stale) {
            return CompletableFuture.completedFuture(neighbours);
        }
        if (refreshing != null && !refreshing.isDone()) {
            return refreshing;
        }
        CompletableFuture<List<NeighbourSelector.Candidate>> candidates;
        try {
            candidates = source.candidates();
        } catch (RuntimeException e) {
            candidates = CompletableFuture.failedFuture(e); // e.g. the DHT is not running yet
        }
        refreshing = candidates.handleAsync((found, failure) -> {
            if (failure == null) {
                neighbours = List.copyOf(NeighbourSelector.select(neighbours, found, settings.neighbours(),
                        clock.millis(), settings.liveWindow().toMillis(), random));
                neighbourCount = neighbours.size();
            }
            neighboursKnown = true;
            neighboursAt = clock.millis();
            return neighbours;
        }, executor);
        return refreshing;
    }

    /** The current neighbours, after a re-check if due (tests, Stats). */
    public CompletableFuture<List<Contact>> currentNeighbours() {
        CompletableFuture<List<Contact>> out = new CompletableFuture<>();
        executor.execute(() -> neighbours().whenComplete((list, e) -> {
            if (e != null) {
                out.completeExceptionally(e);
            } else {
                out.complete(list);
            }
        }));
        return out;
    }

    private void dropNeighbour(Contact n) {
        List<Contact> rest = new ArrayList<>(neighbours);
        if (rest.remove(n)) {
            neighbours = List.copyOf(rest);
            neighbourCount = neighbours.size();
        }
    }

    public SearchStats stats() {
        return new SearchStats(index.size(), neighbourCount, originated.sum(), received.sum(), duplicates.sum(),
                forwarded.sum(), rateLimited.sum(), invalid.sum(), hitsReturned.sum(), hitsDropped.sum(),
                refusedOverRate.sum());
    }

    /** A caller may send twice its rate at once: network jitter bunches a neighbour's evenly paced forwards. */
    private double callerBurst() {
        return Math.max(1, 2 * settings.queryRatePerPeer());
    }

    private static String rate(double r) {
        return r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
    }
}
