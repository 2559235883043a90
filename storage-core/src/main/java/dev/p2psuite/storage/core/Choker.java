package dev.p2psuite.storage.core;

import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * BEP 3 tit-for-tat for one node's uploads, per authenticated remote node (not per content), without I/O or clocks:
 * the caller passes {@code now} and drives {@link #tick} (at least every second, or at {@link #nextRechokeAt()}).
 *
 * <ul>
 *   <li>Every {@link Config#rechokeInterval()} (10 s) the {@link Config#unchokeSlots()} (4) regular slots go to the
 *       interested peers with the best download rate <em>from</em> them over the last {@link Config#rateWindow()}
 *       (20 s) (BEP 3; Cohen, "Incentives build robustness in BitTorrent", section 3).</li>
 *   <li>When the node only seeds, download rates mean nothing; the slots follow the {@link SeedingPolicy} (with
 *       round robin the optimistic slot too: the least served peer gets it), among the peers that are not known free
 *       riders.</li>
 *   <li>One optimistic unchoke, rotated every {@link Config#optimisticInterval()} (30 s), goes to a random choked
 *       interested peer, peers first seen less than {@link Config#newPeerAge()} (1 min) ago being
 *       {@link Config#newPeerOptimisticWeight()} (3) times as likely, as in the mainline client: it lets newcomers
 *       get their first pieces to trade and lets us discover better partners.</li>
 *   <li>Free riders. A peer that has never uploaded to us gets regular slots only "on credit": while we download and a
 *       slot would otherwise stay empty, and only until we have sent it {@link Config#freeRiderCreditBytes()} (so a
 *       newcomer has a rechoke period to reciprocate and spare upload is not wasted). After that it is a known free
 *       rider: never a regular slot, and the optimistic slot only when no other peer wants it; one that became a known
 *       free rider while holding the optimistic slot loses it at the next rechoke.</li>
 *   <li>What a peer gave is what it uploaded to us, or, as far as we can see, what it passed on to others of what we
 *       sent it ({@link #onPeerHave}: a piece we sent to it alone that another peer reports holding, BEP 16's
 *       super-seeding signal). So a seed, which receives nothing, still tells contributors from free riders, and a node
 *       that finished downloading keeps what peers gave it while it downloaded: its uploads go to peers that trade, a
 *       peer that never gave anything gets only the optimistic slot nobody else wants. A seed labels a peer a known
 *       free rider only once it has seen some peer pass pieces on (else it could not tell) and one rechoke period
 *       after the peer's credit ran out (time to pass something on).</li>
 *   <li>A request from a choked peer is answered "choked, retry after N ms" (the time to the next rechoke).</li>
 * </ul>
 * Slots are also re-assigned at once when an unchoked peer loses interest or a peer becomes interested while a slot
 * is free (mainline rechokes on interest changes). Ties are broken with the injected {@link RandomGenerator}, so runs
 * are deterministic for a seed; peers are iterated in first-seen order. Synchronized: serving threads and the rechoke
 * timer share it.
 */
public final class Choker {

    /** Regular unchoke slots (BEP 3 / mainline: 4). */
    public static final int UNCHOKE_SLOTS = 4;
    /** Re-evaluation period of the regular slots (mainline: 10 s). */
    public static final Duration RECHOKE_INTERVAL = Duration.ofSeconds(10);
    /** Rotation period of the optimistic unchoke (mainline: every third rechoke, 30 s). */
    public static final Duration OPTIMISTIC_INTERVAL = Duration.ofSeconds(30);
    /** Window of the transfer rates that rank peers (mainline: a rolling 20 s average). */
    public static final Duration RATE_WINDOW = Duration.ofSeconds(20);
    /** Peers first seen less than this long ago count as new for the optimistic unchoke (mainline: 1 min). */
    public static final Duration NEW_PEER_AGE = Duration.ofMinutes(1);
    /** New peers are this many times as likely to get the optimistic unchoke (mainline: 3). */
    public static final int NEW_PEER_OPTIMISTIC_WEIGHT = 3;
    /**
     * A piece request counts as interest for this long even without an open WatchChoke stream, so a peer that only
     * requests still competes for slots; one rechoke period plus slack.
     */
    public static final Duration INTEREST_AFTER_REQUEST = Duration.ofSeconds(30);
    /**
     * Upload credit of a peer that never uploaded to us: 4 pieces (1 MiB), about what one slot carries in a rechoke
     * period at a few hundred KiB/s, i.e. one chance to reciprocate. Beyond it the peer is a known free rider.
     */
    public static final long FREE_RIDER_CREDIT_BYTES = 4L * Manifest.PIECE_SIZE;
    /** Peers remembered at most; the longest idle choked, uninterested peer is forgotten first. */
    public static final int MAX_TRACKED_PEERS = 10_000;

    /** How a node that only seeds fills its regular slots. */
    public enum SeedingPolicy {
        /**
         * Rotate the slots through every interested peer (libtorrent's default), the least served first: the fewest
         * bytes sent to it over the rate window, then the longest waiting. Seed capacity is shared evenly by bytes,
         * not by turns, so more peers get pieces to trade, and a peer that takes all it can in each turn (a free
         * rider, which has no other source) cannot take more than its share from peers that also download elsewhere.
         */
        ROUND_ROBIN,
        /** Unchoke the peers we upload to fastest (mainline seeding): maximises seed throughput. */
        FASTEST_UPLOAD
    }

    /** Tuning; every interval can be shortened for tests. */
    public record Config(int unchokeSlots, Duration rechokeInterval, Duration optimisticInterval, Duration rateWindow,
                         Duration newPeerAge, int newPeerOptimisticWeight, SeedingPolicy seedingPolicy,
                         long freeRiderCreditBytes) {
        public static final Config DEFAULT = new Config(UNCHOKE_SLOTS, RECHOKE_INTERVAL, OPTIMISTIC_INTERVAL,
                RATE_WINDOW, NEW_PEER_AGE, NEW_PEER_OPTIMISTIC_WEIGHT, SeedingPolicy.ROUND_ROBIN,
                FREE_RIDER_CREDIT_BYTES);

        public Config {
            if (unchokeSlots < 0) {
                throw new IllegalArgumentException("unchoke slots must be >= 0, got " + unchokeSlots);
            }
            requirePositive(rechokeInterval, "rechoke interval");
            requirePositive(optimisticInterval, "optimistic interval");
            requirePositive(rateWindow, "rate window");
            Objects.requireNonNull(newPeerAge, "new peer age");
            if (newPeerOptimisticWeight < 1) {
                throw new IllegalArgumentException("new peer weight must be >= 1, got " + newPeerOptimisticWeight);
            }
            Objects.requireNonNull(seedingPolicy, "seeding policy");
            if (freeRiderCreditBytes < 0) {
                throw new IllegalArgumentException("free rider credit must be >= 0 bytes, got " + freeRiderCreditBytes);
            }
        }

        public Config withSeedingPolicy(SeedingPolicy policy) {
            return new Config(unchokeSlots, rechokeInterval, optimisticInterval, rateWindow, newPeerAge,
                    newPeerOptimisticWeight, policy, freeRiderCreditBytes);
        }

        /** 0 = strict BEP 3: no spare slots on credit; a peer is a free rider until it uploads something. */
        public Config withFreeRiderCreditBytes(long credit) {
            return new Config(unchokeSlots, rechokeInterval, optimisticInterval, rateWindow, newPeerAge,
                    newPeerOptimisticWeight, seedingPolicy, credit);
        }

        private static void requirePositive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be > 0, got " + d);
            }
        }
    }

    /** A peer's choke state (after a change, or as the initial WatchChoke message). */
    public record ChokeState(NodeId peer, boolean choked, boolean optimistic) {
    }

    /** The answer to a piece request: serve it, or "choked, retry after {@code retryAfterMillis}". */
    public record RequestDecision(boolean serve, long retryAfterMillis) {
        public static final RequestDecision SERVE = new RequestDecision(true, 0);

        public static RequestDecision choked(long retryAfterMillis) {
            return new RequestDecision(false, retryAfterMillis);
        }
    }

    /** Counters of one peer (TransferStats). Rates are bytes per second over the rate window. */
    public record PeerStats(NodeId peer, long bytesSent, long bytesReceived, long uploadRate, long downloadRate,
                            boolean amChoking, boolean optimistic, boolean interested, Instant firstSeen,
                            Instant lastActivity) {
    }

    private static final class Peer {
        final NodeId id;
        final Instant firstSeen;
        final RateMeter received;
        final RateMeter sent;
        long bytesReceived;
        long bytesSent;
        /** Pieces we sent to this peer alone that another peer reported holding (BEP 16 signal). */
        long piecesPassedOn;
        /** When bytesSent reached the free rider credit; null before. */
        Instant creditSpentAt;
        int interestStreams;
        Instant lastRequest;
        Instant lastActivity;
        boolean unchoked;
        boolean optimistic;
        /** Start of the peer's latest regular slot as a seed (round robin); null = never had one. */
        Instant seedTurnStart;

        Peer(NodeId id, Instant now, Duration window) {
            this.id = id;
            this.firstSeen = now;
            this.lastActivity = now;
            this.received = new RateMeter(window);
            this.sent = new RateMeter(window);
        }
    }

    private final Config config;
    private final RandomGenerator random;
    private final PeerPenalties penalties;
    private final Map<NodeId, Peer> peers = new LinkedHashMap<>();
    private final PieceSpread spread = new PieceSpread();
    /** Some peer uploaded to us: what peers give us is observable here (tit-for-tat's own signal). */
    private boolean receivedFromPeers;
    /** Some peer was seen passing our pieces on: a seed can tell who does (BEP 16's signal). */
    private boolean passingOnSeen;
    private boolean seeding = true;
    private Instant nextRechokeAt;
    private Instant lastOptimisticRotation;

    /**
     * @param penalties banned peers are never unchoked; may be null
     */
    public Choker(Config config, RandomGenerator random, PeerPenalties penalties) {
        this.config = Objects.requireNonNull(config, "config");
        this.random = Objects.requireNonNull(random, "random");
        this.penalties = penalties;
    }

    public Choker(RandomGenerator random) {
        this(Config.DEFAULT, random, null);
    }

    /**
     * Whether the node only seeds (no download running): then slots follow the seeding policy instead of
     * contribution. Takes effect at the next rechoke.
     */
    public synchronized void setSeeding(boolean seedingOnly) {
        this.seeding = seedingOnly;
    }

    public synchronized boolean isSeeding() {
        return seeding;
    }

    // ---- events -------------------------------------------------------------------------------------------------

    /**
     * The peer declared interest (opened a WatchChoke stream; each open stream counts once). If a regular slot is free,
     * the slots are re-evaluated at once rather than at the next rechoke (as mainline does on interest changes).
     * Returns the peers whose state changed; send {@link #state(NodeId)} as the stream's first message.
     */
    public synchronized List<ChokeState> onInterested(NodeId peer, Instant now) {
        Peer p = touch(peer, now);
        boolean was = isInterested(p, now);
        p.interestStreams++;
        if (!was && nextRechokeAt != null && regularCount() < config.unchokeSlots()) {
            return reevaluate(now, false);
        }
        return List.of();
    }

    /**
     * A WatchChoke stream of the peer closed. If that leaves an unchoked peer uninterested, its slot is re-assigned at
     * once. Returns the peers whose state changed.
     */
    public synchronized List<ChokeState> onNotInterested(NodeId peer, Instant now) {
        Peer p = peers.get(peer);
        if (p == null || p.interestStreams == 0) {
            return List.of();
        }
        p.interestStreams--;
        p.lastActivity = now;
        if (p.interestStreams == 0) {
            p.lastRequest = null; // BEP 3 "not interested" is explicit: its past requests no longer count as interest
        }
        if (p.unchoked && !isInterested(p, now)) {
            return reevaluate(now, false);
        }
        return List.of();
    }

    /** Verified piece bytes received from the peer: its contribution (BEP 3 tit-for-tat counts what it gives us). */
    public synchronized void recordReceived(NodeId peer, long bytes, Instant now) {
        Peer p = touch(peer, now);
        p.bytesReceived += bytes;
        p.received.add(bytes, now);
        if (bytes > 0) {
            receivedFromPeers = true;
        }
    }

    /**
     * Verified piece {@code index} of a content (of {@code pieceCount} pieces) received from the peer: counted as
     * {@link #recordReceived} and remembered, so that its sender holding it too is not taken for a sign that a peer we
     * send it to passed it on.
     */
    public synchronized void recordReceived(NodeId peer, ContentId content, int pieceCount, int index, long bytes,
                                            Instant now) {
        recordReceived(peer, bytes, now);
        spread.onReceived(content, pieceCount, index);
    }

    /** Piece bytes sent to the peer. */
    public synchronized void recordSent(NodeId peer, long bytes, Instant now) {
        Peer p = touch(peer, now);
        p.bytesSent += bytes;
        p.sent.add(bytes, now);
        if (p.creditSpentAt == null && p.bytesSent >= config.freeRiderCreditBytes()) {
            p.creditSpentAt = now;
        }
    }

    /**
     * Piece {@code index} (of a content of {@code pieceCount} pieces) sent to the peer: counted as {@link #recordSent}
     * and remembered, so that {@link #onPeerHave} can see it passed on.
     */
    public synchronized void recordSent(NodeId peer, ContentId content, int pieceCount, int index, long bytes,
                                        Instant now) {
        recordSent(peer, bytes, now);
        spread.onSent(peer, Objects.requireNonNull(content, "content"), pieceCount, index, now,
                config.rechokeInterval());
    }

    /**
     * The peer reported the pieces of a content it holds (the bitfield it sends with its requests, BEP 3). Each piece we
     * sent to one other peer alone and see here for the first time proves that peer passed it on (BEP 16): it counts
     * as that peer's contribution.
     */
    public synchronized void onPeerHave(NodeId peer, ContentId content, Bitfield have, Instant now) {
        touch(peer, now);
        for (Map.Entry<NodeId, Integer> e : spread.onHave(peer, Objects.requireNonNull(content, "content"),
                Objects.requireNonNull(have, "have")).entrySet()) {
            Peer recipient = peers.get(e.getKey());
            if (recipient != null) {
                recipient.piecesPassedOn += e.getValue();
                passingOnSeen = true;
            }
        }
    }

    /**
     * A piece request from the peer: serve it if the peer is unchoked, else "choked, retry after" the time to the
     * next rechoke (at most one rechoke interval, as the proto's Choked.retry_after_ms promises).
     */
    public synchronized RequestDecision onRequest(NodeId peer, Instant now) {
        Peer p = touch(peer, now);
        p.lastRequest = now;
        return p.unchoked && !isBanned(p) && !creditSpentWhileOthersWait(p, now) ? RequestDecision.SERVE
                : RequestDecision.choked(retryAfterMillis(now));
    }

    /**
     * True if the peer holds a slot (on credit, or the optimistic one) and is a known free rider (it has taken its whole
     * credit without giving anything back), while a peer that is not one waits choked. Its requests are then
     * refused at once rather than served until the next rechoke (a pipeline of pieces is sent in well under a second
     * on a fast link, so a slot held for a rechoke period would hand a free rider many times its credit); call
     * {@link #rechoke} to give the slot to another peer.
     */
    public synchronized boolean creditSpentWhileOthersWait(NodeId peer, Instant now) {
        Peer p = peers.get(peer);
        return p != null && creditSpentWhileOthersWait(p, now);
    }

    private boolean creditSpentWhileOthersWait(Peer p, Instant now) {
        if (!p.unchoked || !knownFreeRider(p, now)) {
            return false;
        }
        for (Peer q : peers.values()) {
            if (q != p && !q.unchoked && isInterested(q, now) && !isBanned(q) && !knownFreeRider(q, now)) {
                return true;
            }
        }
        return false;
    }

    /** Forgets the peer (its counters too). Returns true if it was unchoked (its slot is free until the next rechoke). */
    public synchronized boolean forget(NodeId peer) {
        spread.forget(peer);
        Peer p = peers.remove(peer);
        return p != null && p.unchoked;
    }

    // ---- rechoke ------------------------------------------------------------------------------------------------

    /** Runs {@link #rechoke} if it is due (or has never run); returns the changes to announce. */
    public synchronized List<ChokeState> tick(Instant now) {
        if (nextRechokeAt == null || !now.isBefore(nextRechokeAt)) {
            return rechoke(now);
        }
        return List.of();
    }

    /**
     * Re-evaluates every slot now (BEP 3 rechoke) and rotates the optimistic unchoke if its interval has passed or its
     * holder left, lost interest or earned a regular slot. Returns the peers whose state changed, to push on their
     * WatchChoke streams.
     */
    public synchronized List<ChokeState> rechoke(Instant now) {
        nextRechokeAt = now.plus(config.rechokeInterval());
        return reevaluate(now, true);
    }

    /** Assigns the slots; the optimistic one rotates only at a scheduled rechoke or when its holder dropped out. */
    private List<ChokeState> reevaluate(Instant now, boolean scheduled) {
        List<Peer> candidates = new ArrayList<>();
        for (Peer p : peers.values()) {
            if (isInterested(p, now) && !isBanned(p)) {
                candidates.add(p);
            }
        }
        List<Peer> ranked = rankForRegularSlots(candidates, now);
        Set<Peer> regular = new HashSet<>();
        if (!scheduled) {
            // Between rechokes only free slots are filled; nobody loses a slot before the next rechoke.
            for (Peer p : ranked) {
                if (p.unchoked && !p.optimistic) {
                    regular.add(p);
                }
            }
        }
        for (Iterator<Peer> it = ranked.iterator(); regular.size() < config.unchokeSlots() && it.hasNext(); ) {
            regular.add(it.next());
        }

        Peer optimistic = currentOptimistic();
        boolean rotate = optimistic == null
                || lastOptimisticRotation == null
                || (scheduled && !now.isBefore(lastOptimisticRotation.plus(config.optimisticInterval())))
                || (scheduled && spentItsChance(optimistic, candidates, regular, now))
                || !candidates.contains(optimistic)
                || regular.contains(optimistic);
        if (rotate) {
            Peer previous = optimistic;
            optimistic = pickOptimistic(candidates, regular, previous, now);
            lastOptimisticRotation = now;
        }

        List<ChokeState> changes = new ArrayList<>();
        for (Peer p : peers.values()) {
            boolean isRegular = regular.contains(p);
            boolean isOptimistic = p == optimistic;
            boolean unchoke = isRegular || isOptimistic;
            if (isRegular && !p.unchoked) {
                p.seedTurnStart = now;
            } else if (isRegular && p.optimistic && seeding) {
                p.seedTurnStart = now;
            }
            if (unchoke != p.unchoked || isOptimistic != p.optimistic) {
                p.unchoked = unchoke;
                p.optimistic = isOptimistic;
                changes.add(state(p));
            }
        }
        return changes;
    }

    /** Every peer that may hold a regular slot now, best first. */
    private List<Peer> rankForRegularSlots(List<Peer> candidates, Instant now) {
        List<Peer> ranked = new ArrayList<>(candidates.size());
        Comparator<Peer> order;
        if (seeding) {
            // Known free riders wait for the optimistic slot, as while downloading.
            for (Peer p : candidates) {
                if (!knownFreeRider(p, now)) {
                    ranked.add(p);
                }
            }
            if (config.seedingPolicy() == SeedingPolicy.ROUND_ROBIN) {
                // Least served recently first; then longest since its last turn, peers that never had one first.
                order = Comparator.comparingLong((Peer p) -> p.sent.ratePerSecond(now))
                        .thenComparing((Peer p) -> p.seedTurnStart, Comparator.nullsFirst(Comparator.naturalOrder()));
            } else {
                order = Comparator.comparingLong((Peer p) -> p.sent.ratePerSecond(now)).reversed();
            }
        } else {
            // Tit-for-tat: peers that gave us something, best recent rate first; then, for slots no contributor
            // takes, peers still on credit, least served first. Known free riders wait for the optimistic slot.
            for (Peer p : candidates) {
                if (!knownFreeRider(p, now)) {
                    ranked.add(p);
                }
            }
            order = Comparator.comparing((Peer p) -> p.bytesReceived == 0)
                    .thenComparing(Comparator.comparingLong((Peer p) -> p.received.ratePerSecond(now)).reversed())
                    .thenComparing(Comparator.comparingLong((Peer p) -> p.bytesReceived).reversed())
                    .thenComparingLong(p -> p.bytesSent);
        }
        shuffle(ranked);
        ranked.sort(order); // stable: equal peers keep their random order
        return ranked;
    }

    private Peer pickOptimistic(List<Peer> candidates, Set<Peer> regular, Peer previous, Instant now) {
        List<Peer> pool = new ArrayList<>();
        for (Peer p : candidates) {
            if (!regular.contains(p)) {
                pool.add(p);
            }
        }
        // A known free rider gets the slot only when nobody else wants it.
        boolean onlyFreeRiders = pool.stream().allMatch(p -> tookCreditForNothing(p, now));
        if (pool.stream().anyMatch(p -> !knownFreeRider(p, now))) {
            pool.removeIf(p -> knownFreeRider(p, now));
        }
        if (pool.size() > 1 && !onlyFreeRiders) {
            pool.remove(previous); // rotate: someone else gets the chance
        }
        if (pool.isEmpty()) {
            return null;
        }
        if ((seeding && config.seedingPolicy() == SeedingPolicy.ROUND_ROBIN) || onlyFreeRiders) {
            // Upload shared evenly by bytes: the optimistic slot is one more turn for the least served (a random pick
            // would hand a peer that takes all it can, like a free rider, more than its share). So is the spare upload
            // that only known free riders want: the one that took most waits.
            shuffle(pool);
            pool.sort(Comparator.comparingLong((Peer p) -> p.sent.ratePerSecond(now))
                    .thenComparing((Peer p) -> !isNew(p, now)));
            return pool.get(0);
        }
        long total = 0;
        long[] weights = new long[pool.size()];
        for (int i = 0; i < pool.size(); i++) {
            weights[i] = isNew(pool.get(i), now) ? config.newPeerOptimisticWeight() : 1;
            total += weights[i];
        }
        long r = random.nextLong(total);
        for (int i = 0; i < pool.size(); i++) {
            r -= weights[i];
            if (r < 0) {
                return pool.get(i);
            }
        }
        throw new AssertionError("weights exhausted");
    }

    private int regularCount() {
        int n = 0;
        for (Peer q : peers.values()) {
            if (q.unchoked && !q.optimistic) {
                n++;
            }
        }
        return n;
    }

    private void shuffle(List<Peer> list) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Peer t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    // ---- queries ------------------------------------------------------------------------------------------------

    public synchronized boolean isUnchoked(NodeId peer) {
        Peer p = peers.get(peer);
        return p != null && p.unchoked && !isBanned(p);
    }

    public synchronized boolean isOptimistic(NodeId peer) {
        Peer p = peers.get(peer);
        return p != null && p.optimistic;
    }

    /** The peer's current state (choked if unknown). */
    public synchronized ChokeState state(NodeId peer) {
        Peer p = peers.get(peer);
        return p == null ? new ChokeState(peer, true, false) : state(p);
    }

    /** Milliseconds until the next rechoke, 1..rechoke interval: the "retry after" of a Choked answer. */
    public synchronized long retryAfterMillis(Instant now) {
        long max = config.rechokeInterval().toMillis();
        if (nextRechokeAt == null) {
            return max;
        }
        long ms = Duration.between(now, nextRechokeAt).toMillis();
        return Math.max(1, Math.min(max, ms));
    }

    /** When the next rechoke is due; null before the first {@link #tick}. */
    public synchronized Instant nextRechokeAt() {
        return nextRechokeAt;
    }

    /** Peers currently unchoked (regular and optimistic), in first-seen order. */
    public synchronized List<NodeId> unchoked() {
        List<NodeId> out = new ArrayList<>();
        for (Peer p : peers.values()) {
            if (p.unchoked && !isBanned(p)) {
                out.add(p.id);
            }
        }
        return out;
    }

    public synchronized Optional<PeerStats> stats(NodeId peer, Instant now) {
        Peer p = peers.get(peer);
        return p == null ? Optional.empty() : Optional.of(stats(p, now));
    }

    /** Counters of every remembered peer, in first-seen order. */
    public synchronized List<PeerStats> stats(Instant now) {
        List<PeerStats> out = new ArrayList<>(peers.size());
        for (Peer p : peers.values()) {
            out.add(stats(p, now));
        }
        return out;
    }

    public Config config() {
        return config;
    }

    private PeerStats stats(Peer p, Instant now) {
        return new PeerStats(p.id, p.bytesSent, p.bytesReceived, p.sent.ratePerSecond(now),
                p.received.ratePerSecond(now), !p.unchoked, p.optimistic, isInterested(p, now), p.firstSeen,
                p.lastActivity);
    }

    private ChokeState state(Peer p) {
        return new ChokeState(p.id, !p.unchoked, p.optimistic);
    }

    private Peer currentOptimistic() {
        for (Peer p : peers.values()) {
            if (p.optimistic) {
                return p;
            }
        }
        return null;
    }

    private boolean isInterested(Peer p, Instant now) {
        return p.interestStreams > 0
                || (p.lastRequest != null && now.isBefore(p.lastRequest.plus(INTEREST_AFTER_REQUEST)));
    }

    /**
     * An optimistic unchoke is a chance to reciprocate; a holder that has taken its whole credit and still given nothing
     * back gives it up at the next rechoke when another peer wants it, rather than taking a full optimistic period
     * (BEP 3's optimistic unchoke otherwise feeds a free rider one period per peer, as BitThief showed). When only known
     * free riders want it, it is re-assigned at every rechoke to the least served of them.
     */
    private boolean spentItsChance(Peer holder, List<Peer> candidates, Set<Peer> regular, Instant now) {
        if (!knownFreeRider(holder, now)) {
            return false;
        }
        for (Peer p : candidates) {
            if (p != holder && !regular.contains(p) && (!knownFreeRider(p, now) || tookCreditForNothing(holder, now))) {
                return true;
            }
        }
        return false;
    }

    /** A known free rider that was actually sent something (with no credit, a peer that never got a byte is not). */
    private boolean tookCreditForNothing(Peer p, Instant now) {
        return p.bytesSent > 0 && knownFreeRider(p, now);
    }

    /**
     * Gave nothing (no upload to us, none of our pieces seen passed on) although we have sent it its whole credit. A
     * node that only seeds says so one rechoke period after the credit ran out (time to pass something on), and only
     * with evidence: it downloaded from peers itself (so what a peer gave it is known), or, a seed that never did, it
     * has seen other peers pass its pieces on while a piece it sent this peer alone was still seen nowhere else a
     * rechoke period later (a peer whose pieces from us all went to others too shows nothing either way).
     */
    private boolean knownFreeRider(Peer p, Instant now) {
        if (p.bytesReceived > 0 || p.piecesPassedOn > 0 || p.bytesSent < config.freeRiderCreditBytes()) {
            return false;
        }
        if (!seeding) {
            return true;
        }
        Instant creditSpent = p.creditSpentAt != null ? p.creditSpentAt : p.firstSeen;
        if (now.isBefore(creditSpent.plus(config.rechokeInterval()))) {
            return false;
        }
        return receivedFromPeers || (passingOnSeen && spread.keptToItself(p.id, now, config.rechokeInterval()));
    }

    private boolean isNew(Peer p, Instant now) {
        return now.isBefore(p.firstSeen.plus(config.newPeerAge()));
    }

    private boolean isBanned(Peer p) {
        return penalties != null && penalties.isBanned(p.id);
    }

    private Peer touch(NodeId id, Instant now) {
        Objects.requireNonNull(id, "peer");
        Objects.requireNonNull(now, "now");
        Peer p = peers.get(id);
        if (p == null) {
            if (peers.size() >= MAX_TRACKED_PEERS) {
                evictIdlest(now);
            }
            p = new Peer(id, now, config.rateWindow());
            peers.put(id, p);
        }
        p.lastActivity = now;
        return p;
    }

    private void evictIdlest(Instant now) {
        Peer idlest = null;
        for (Peer p : peers.values()) {
            if (!p.unchoked && !isInterested(p, now)
                    && (idlest == null || p.lastActivity.isBefore(idlest.lastActivity))) {
                idlest = p;
            }
        }
        if (idlest == null) {
            Iterator<Peer> it = peers.values().iterator();
            idlest = it.next();
        }
        peers.remove(idlest.id);
        spread.forget(idlest.id);
    }
}
