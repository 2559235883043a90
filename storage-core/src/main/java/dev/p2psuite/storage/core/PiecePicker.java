package dev.p2psuite.storage.core;

import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.random.RandomGenerator;

/**
 * Decides which piece to request from which peer for one download (BEP 3 piece selection), without I/O. It knows the
 * pieces held, wanted (all, or those covering a range) and in flight, and every peer's bitfield (kept current by
 * {@link #onHave}); the caller requests what {@link #pickNext} / {@link #pickUpTo} return, verifies each arrival
 * against the manifest and reports {@link #onPieceVerified} or {@link #onPieceFailed}.
 *
 * <ul>
 *   <li><b>Rarest first</b> (BEP 3 / Cohen, "Incentives build robustness in BitTorrent"): among the pieces the peer
 *       has, the one the fewest peers have, ties broken at random with the injected generator. Pieces that just
 *       failed elsewhere go first so a stuck piece does not hold up completion.</li>
 *   <li><b>Pipelining</b>: up to {@link Config#pipelineDepth()} requests in flight per peer, or the depth set by
 *       {@link #setPipelineDepth} (adapt it with {@link #pipelineDepthFor} to the peer's measured rate, so slow peers
 *       do not hold pieces that faster peers could deliver sooner).</li>
 *   <li><b>Endgame</b>: once every missing piece is in flight, idle peers request in-flight pieces again (at most
 *       {@link Config#endgameMaxRequestsPerPiece()} requests per piece); the first verified copy wins and
 *       {@link #onPieceVerified} names the peers whose duplicate requests to cancel.</li>
 *   <li><b>In order</b> ({@link #setInOrder}): for a reader streaming the content, the earliest missing piece
 *       instead of the rarest, so the in-order prefix grows while the download runs. That holds while every peer is a
 *       seed (holds every wanted piece). Once another leecher is among the peers (one lacks a wanted piece), only the
 *       {@link #STREAM_WINDOW} pieces from the reader's position go in order and the rest rarest first: leechers that
 *       all download strictly in order hold the same prefix, fetch the same pieces from the seed and have nothing to
 *       trade, which starves tit-for-tat (BEP 3) and wastes the seed's upload on duplicates.</li>
 *   <li><b>Retry elsewhere first</b>: a piece that timed out, errored or failed its hash at a peer is not asked of
 *       that peer again while another unchoking peer has it.</li>
 *   <li><b>Penalties</b>: bad hashes are counted in the node-wide {@link PeerPenalties}; a banned peer gets no more
 *       requests and its pieces no longer count as available.</li>
 * </ul>
 * There is no "random first piece": Cohen picks random pieces first because a rare piece assembled from 16 KiB blocks
 * of few peers completes slowly; here each piece comes whole from one peer, so rarity does not slow the first piece.
 * All methods are synchronized (transfer callbacks arrive on several threads).
 */
public final class PiecePicker {

    /**
     * Default (and suggested adaptive maximum) requests in flight per peer: 8 pieces = 2 MiB, the bandwidth-delay product
     * of 100 MB/s at 20 ms, so a fast peer on a LAN or a nearby WAN link never idles between pieces.
     */
    public static final int DEFAULT_PIPELINE_DEPTH = 8;
    /** Adaptive depth floor: one piece in transfer and one queued behind it, so a peer never idles between pieces. */
    public static final int MIN_PIPELINE_DEPTH = 2;
    /** Adaptive depth target: this long of the peer's rate in flight (libtorrent request_queue_time, 3 s). */
    public static final Duration PIPELINE_TARGET = Duration.ofSeconds(3);
    /** A RequestPieces call carries at most 64 indexes, so deeper pipelines cannot be expressed in one call. */
    public static final int MAX_PIPELINE_DEPTH = 64;
    /**
     * Default copies of one piece requested at once in endgame: the first request plus two backups cover up to two
     * slow or dying peers, while wasting at most 2 x 256 KiB per piece of the (short) endgame tail.
     */
    public static final int DEFAULT_ENDGAME_MAX_REQUESTS_PER_PIECE = 3;
    /**
     * Pieces from the earliest missing one that a streaming download ({@link #setInOrder}) fetches in order while other
     * leechers are among its peers: the piece the reader waits for and the next (512 KiB). Few, because leechers at
     * the same position fetch their window pieces from the same seed, each a duplicate of the seed's upload; the rest
     * follows rarest first.
     */
    public static final int STREAM_WINDOW = 2;

    /** Why a request did not yield a verified piece. */
    public enum FailureReason {
        /** No answer in time: retried elsewhere first. */
        TIMEOUT,
        /** Transport or remote error: retried elsewhere first. */
        ERROR,
        /** The bytes did not match the manifest hash: retried elsewhere first and penalised ({@link PeerPenalties}). */
        BAD_HASH,
        /** The peer answered PieceNotHeld: it no longer counts as having the piece. */
        NOT_HELD,
        /** The peer answered Choked: no penalty; no requests to it until {@link #setPeerChoking}(peer, false). */
        CHOKED,
        /** The caller withdrew the request (e.g. an endgame duplicate, a paused fetch): no penalty. */
        CANCELLED
    }

    /** Tuning of one picker. */
    public record Config(int pipelineDepth, int endgameMaxRequestsPerPiece) {
        public static final Config DEFAULT =
                new Config(DEFAULT_PIPELINE_DEPTH, DEFAULT_ENDGAME_MAX_REQUESTS_PER_PIECE);

        public Config {
            if (pipelineDepth < 1 || pipelineDepth > MAX_PIPELINE_DEPTH) {
                throw new IllegalArgumentException(
                        "pipeline depth must be 1.." + MAX_PIPELINE_DEPTH + ", got " + pipelineDepth);
            }
            if (endgameMaxRequestsPerPiece < 1) {
                throw new IllegalArgumentException(
                        "endgame requests per piece must be >= 1, got " + endgameMaxRequestsPerPiece);
            }
        }
    }

    /** Counters for progress reports (FetchResponse). */
    public record Progress(int piecesWanted, int piecesDone, int piecesInFlight, int requestsInFlight,
                           int piecesRejected, int peersActive, boolean endgame, boolean complete) {
    }

    private static final class Peer {
        /** Requests allowed in flight; the config's depth until {@link #setPipelineDepth} adapts it. */
        int depth;
        final long[] has;
        final long[] requested;
        /** Pieces this peer failed to deliver: ask others first. */
        final long[] avoid;
        int inFlight;
        boolean choking;
        boolean banned;
        int failures;
        int verified;

        Peer(int words, int depth) {
            this.depth = depth;
            has = new long[words];
            requested = new long[words];
            avoid = new long[words];
        }
    }

    private final int pieceCount;
    private final int words;
    private final Config config;
    private final PeerPenalties penalties;
    private final RandomGenerator random;
    private boolean inOrder;
    /** Pieces from this index on are not picked: a streaming reader's read-ahead bound ({@link #setReadLimit}). */
    private int readLimit = Integer.MAX_VALUE;
    private final long[] wanted;
    private final long[] held;
    /** Missing wanted pieces with at least one request outstanding. */
    private final long[] inFlight;
    /** Pieces that went back to the pool after a failure: picked before others. */
    private final long[] retry;
    /** Non-banned peers that have each piece. */
    private final int[] availability;
    private final int[] requestCount;
    /** Scratch list of equally good candidates for the random tie-break. */
    private final int[] ties;
    private final Map<NodeId, Peer> peers = new LinkedHashMap<>();
    private final int wantedCount;
    private int doneCount;
    private int inFlightCount;
    private int requestsOutstanding;
    private int piecesRejected;

    /**
     * @param pieceCount pieces of the content ({@link Manifest#pieceCount()})
     * @param held       pieces already stored and verified (resume); copied
     * @param wanted     pieces to fetch (e.g. {@link Manifest#piecesCovering}), or null for all; copied
     * @param penalties  the node-wide penalty record, shared with other downloads
     * @param random     tie-breaks; seeded in tests
     */
    public PiecePicker(int pieceCount, Bitfield held, Bitfield wanted, Config config, PeerPenalties penalties,
                       RandomGenerator random) {
        this.pieceCount = pieceCount;
        this.words = (pieceCount + 63) >>> 6;
        this.config = Objects.requireNonNull(config, "config");
        this.penalties = Objects.requireNonNull(penalties, "penalties");
        this.random = Objects.requireNonNull(random, "random");
        checkCount(held, "held");
        this.held = held.words().clone();
        if (wanted == null) {
            this.wanted = Bitfield.full(pieceCount).words();
        } else {
            checkCount(wanted, "wanted");
            this.wanted = wanted.words().clone();
        }
        this.inFlight = new long[words];
        this.retry = new long[words];
        this.availability = new int[pieceCount];
        this.requestCount = new int[pieceCount];
        this.ties = new int[pieceCount];
        int w = 0;
        int d = 0;
        for (int i = 0; i < words; i++) {
            w += Long.bitCount(this.wanted[i]);
            d += Long.bitCount(this.wanted[i] & this.held[i]);
        }
        this.wantedCount = w;
        this.doneCount = d;
    }

    /** A picker for a whole content with default tuning and its own penalty record. */
    public PiecePicker(int pieceCount, Bitfield held, RandomGenerator random) {
        this(pieceCount, held, null, Config.DEFAULT, new PeerPenalties(), random);
    }

    private void checkCount(Bitfield b, String what) {
        Objects.requireNonNull(b, what);
        if (b.pieceCount() != pieceCount) {
            throw new IllegalArgumentException(what + " bitfield has " + b.pieceCount() + " pieces, expected "
                    + pieceCount);
        }
    }

    // ---- peers --------------------------------------------------------------------------------------------------

    /** Adds a peer with its bitfield (GetHave / WatchChoke), or replaces the bitfield of a known peer. */
    public synchronized void addPeer(NodeId peer, Bitfield has) {
        checkCount(has, "peer");
        Peer p = peers.computeIfAbsent(Objects.requireNonNull(peer, "peer"), k -> new Peer(words, config.pipelineDepth()));
        if (checkBan(p, peer)) {
            return;
        }
        long[] nw = has.words();
        for (int w = 0; w < words; w++) {
            long added = nw[w] & ~p.has[w];
            long removed = p.has[w] & ~nw[w];
            for (long b = added; b != 0; b &= b - 1) {
                availability[w * 64 + Long.numberOfTrailingZeros(b)]++;
            }
            for (long b = removed; b != 0; b &= b - 1) {
                availability[w * 64 + Long.numberOfTrailingZeros(b)]--;
            }
            p.has[w] = nw[w];
        }
    }

    /** The peer now has piece {@code index} (BEP 3 "have"); an unknown peer is added. */
    public synchronized void onHave(NodeId peer, int index) {
        Objects.checkIndex(index, pieceCount);
        Peer p = peers.computeIfAbsent(Objects.requireNonNull(peer, "peer"), k -> new Peer(words, config.pipelineDepth()));
        if (checkBan(p, peer)) {
            return;
        }
        if (setBit(p.has, index)) {
            availability[index]++;
        }
    }

    /** Forgets a peer (gone, or no longer a provider); its requests go back to the pool. */
    public synchronized void removePeer(NodeId peer) {
        Peer p = peers.remove(peer);
        if (p != null) {
            dropAvailabilityAndRequests(p);
        }
    }

    /**
     * Sets how many requests may be in flight to {@code peer} (1..{@link #MAX_PIPELINE_DEPTH}); see
     * {@link #pipelineDepthFor} to derive it from the peer's measured rate.
     */
    public synchronized void setPipelineDepth(NodeId peer, int depth) {
        if (depth < 1 || depth > MAX_PIPELINE_DEPTH) {
            throw new IllegalArgumentException("pipeline depth must be 1.." + MAX_PIPELINE_DEPTH + ", got " + depth);
        }
        peers.computeIfAbsent(Objects.requireNonNull(peer, "peer"), k -> new Peer(words, config.pipelineDepth()))
                .depth = depth;
    }

    /** Requests allowed in flight to {@code peer}: its {@link #setPipelineDepth}, else the config's depth. */
    public synchronized int pipelineDepth(NodeId peer) {
        Peer p = peers.get(peer);
        return p == null ? config.pipelineDepth() : p.depth;
    }

    /**
     * A pipeline depth that keeps {@link #PIPELINE_TARGET}'s worth of a peer's measured rate requested (libtorrent's
     * request queue time), at least {@link #MIN_PIPELINE_DEPTH} and at most {@code max}. Deep queues at slow peers
     * would lock pieces to them that faster peers could deliver sooner.
     */
    public static int pipelineDepthFor(long bytesPerSecond, int max) {
        long wanted = (bytesPerSecond * PIPELINE_TARGET.toMillis() / 1000 + Manifest.PIECE_SIZE - 1)
                / Manifest.PIECE_SIZE;
        return (int) Math.max(Math.min(MIN_PIPELINE_DEPTH, max), Math.min(max, wanted));
    }

    /** Records whether the peer chokes us (WatchChoke state); a choking peer gets no requests. */
    public synchronized void setPeerChoking(NodeId peer, boolean choking) {
        Peer p = peers.computeIfAbsent(Objects.requireNonNull(peer, "peer"), k -> new Peer(words, config.pipelineDepth()));
        p.choking = choking;
    }

    // ---- picking ------------------------------------------------------------------------------------------------

    /**
     * The next piece to request from {@code peer}, now counted as in flight to it; empty if the peer is unknown,
     * banned, choking us, has a full pipeline, or has nothing we need that is not already requested (outside
     * endgame).
     */
    public synchronized OptionalInt pickNext(NodeId peer) {
        Peer p = peers.get(peer);
        if (p == null || checkBan(p, peer) || p.choking || p.inFlight >= p.depth) {
            return OptionalInt.empty();
        }
        int index = pickNormal(p);
        if (index < 0 && isEndgameLocked()) {
            index = pickEndgame(p);
        }
        if (index < 0) {
            return OptionalInt.empty();
        }
        request(p, index);
        return OptionalInt.of(index);
    }

    /** Picks until the peer's pipeline is full or {@code max} pieces are picked (one RequestPieces call). */
    public synchronized int[] pickUpTo(NodeId peer, int max) {
        Peer p = peers.get(peer);
        int room = p == null ? 0 : p.depth - p.inFlight;
        int[] out = new int[Math.max(0, Math.min(max, room))];
        int n = 0;
        while (n < out.length) {
            OptionalInt next = pickNext(peer);
            if (next.isEmpty()) {
                break;
            }
            out[n++] = next.getAsInt();
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** Earliest missing piece first (true) or rarest first (false, the default). */
    public synchronized void setInOrder(boolean inOrder) {
        this.inOrder = inOrder;
    }

    /**
     * Pieces from {@code limit} on are not picked until it is raised ({@link Integer#MAX_VALUE}: no bound): a reader
     * streaming the content in order sets it some pieces past its position, so the download does not run further
     * ahead of it than its pieces can wait in memory. It holds while every peer is a seed: among leechers, pieces are
     * picked rarest first across the whole content, so that there is something to trade (class comment).
     */
    public synchronized void setReadLimit(int limit) {
        this.readLimit = limit;
    }

    /** True if every wanted piece still missing lies at or past the read limit: the download waits for its reader. */
    public synchronized boolean waitsForReader() {
        int limit = readLimitInForce(leechersPresent());
        return limit != Integer.MAX_VALUE && firstMissing() >= limit;
    }

    /** The read limit that applies: none among leechers ({@link #setReadLimit}). */
    private int readLimitInForce(boolean leechers) {
        return leechers ? Integer.MAX_VALUE : readLimit;
    }

    private int pickNormal(Peer p) {
        int best = Integer.MAX_VALUE;
        int tieCount = 0;
        // Streaming among leechers: in order up to windowEnd only, rarest first beyond it, and no read limit (class
        // comment, setReadLimit).
        boolean leechers = (inOrder || readLimit != Integer.MAX_VALUE) && leechersPresent();
        int windowEnd = !inOrder ? -1 : leechers ? firstMissing() + STREAM_WINDOW : Integer.MAX_VALUE;
        int limit = readLimitInForce(leechers);
        int wordsBelowLimit = limit == Integer.MAX_VALUE ? words : Math.min(words, (limit + 63) / 64);
        for (int w = 0; w < wordsBelowLimit; w++) {
            long cand = p.has[w] & wanted[w] & ~held[w] & ~inFlight[w];
            int below = limit - w * 64;
            if (below < 64) {
                cand &= (1L << below) - 1;
            }
            for (; cand != 0; cand &= cand - 1) {
                int i = w * 64 + Long.numberOfTrailingZeros(cand);
                if (avoided(p, i)) {
                    continue;
                }
                // Failed pieces first, then earliest (in the window) or rarest (lowest availability). Indexes are
                // < MAX_PIECES < 2^20, availability < 2^20.
                int key = ((retry[w] & (1L << i)) != 0 ? 0 : 1 << 22)
                        + (i < windowEnd ? i : (1 << 21) + availability[i]);
                if (key < best) {
                    best = key;
                    tieCount = 0;
                }
                if (key == best) {
                    ties[tieCount++] = i;
                }
            }
        }
        return tieCount == 0 ? -1 : ties[tieCount == 1 ? 0 : random.nextInt(tieCount)];
    }

    /** True if a usable peer lacks a wanted piece: it is downloading too (a leecher), not a seed. */
    private boolean leechersPresent() {
        for (Peer q : peers.values()) {
            if (q.banned) {
                continue;
            }
            for (int w = 0; w < words; w++) {
                if ((wanted[w] & ~q.has[w]) != 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The earliest wanted piece not held (where a streaming reader waits); pieceCount if none. */
    private int firstMissing() {
        for (int w = 0; w < words; w++) {
            long missing = wanted[w] & ~held[w];
            if (missing != 0) {
                return w * 64 + Long.numberOfTrailingZeros(missing);
            }
        }
        return pieceCount;
    }

    private int pickEndgame(Peer p) {
        int best = Integer.MAX_VALUE;
        int tieCount = 0;
        for (int w = 0; w < words; w++) {
            long cand = p.has[w] & wanted[w] & ~held[w] & inFlight[w] & ~p.requested[w];
            for (; cand != 0; cand &= cand - 1) {
                int i = w * 64 + Long.numberOfTrailingZeros(cand);
                int key = requestCount[i];
                if (key >= config.endgameMaxRequestsPerPiece() || avoided(p, i)) {
                    continue;
                }
                // The piece with the fewest copies requested so far gets the next backup.
                if (key < best) {
                    best = key;
                    tieCount = 0;
                }
                if (key == best) {
                    ties[tieCount++] = i;
                }
            }
        }
        return tieCount == 0 ? -1 : ties[tieCount == 1 ? 0 : random.nextInt(tieCount)];
    }

    /**
     * True if {@code p} failed piece {@code i} before and another usable peer that has not failed it has it (retry
     * elsewhere first). Once every holder has failed it, any of them may be asked again.
     */
    private boolean avoided(Peer p, int i) {
        if (!getBit(p.avoid, i)) {
            return false;
        }
        for (Peer q : peers.values()) {
            if (q != p && !q.banned && !q.choking && getBit(q.has, i) && !getBit(q.avoid, i)) {
                return true;
            }
        }
        return false;
    }

    private void request(Peer p, int i) {
        setBit(p.requested, i);
        p.inFlight++;
        requestsOutstanding++;
        if (requestCount[i]++ == 0) {
            setBit(inFlight, i);
            inFlightCount++;
        }
        clearBit(retry, i);
    }

    // ---- outcomes -----------------------------------------------------------------------------------------------

    /**
     * Piece {@code index} from {@code peer} passed verification and is stored. Returns the other peers that still
     * have a request out for it (endgame duplicates): cancel those requests and ignore their late answers (reporting a
     * late copy here again is harmless).
     */
    public synchronized List<NodeId> onPieceVerified(NodeId peer, int index) {
        Objects.checkIndex(index, pieceCount);
        Peer p = peers.get(peer);
        if (p != null) {
            p.verified++;
            p.failures = 0;
        }
        if (getBit(held, index)) {
            if (p != null) {
                releaseRequest(p, index);
            }
            return List.of();
        }
        List<NodeId> cancel = new ArrayList<>(0);
        for (Map.Entry<NodeId, Peer> e : peers.entrySet()) {
            Peer q = e.getValue();
            if (getBit(q.requested, index)) {
                releaseRequest(q, index);
                if (q != p) {
                    cancel.add(e.getKey());
                }
            }
        }
        setBit(held, index);
        clearBit(retry, index);
        if (getBit(wanted, index)) {
            doneCount++;
        }
        return cancel;
    }

    /**
     * A request for {@code index} to {@code peer} failed. The piece returns to the pool (unless another request for it
     * is still out) and is retried at other peers first; see {@link FailureReason} for each reason's effect.
     *
     * @return true if the peer is banned (now or before); stop using it
     */
    public synchronized boolean onPieceFailed(NodeId peer, int index, FailureReason reason) {
        Objects.checkIndex(index, pieceCount);
        Objects.requireNonNull(reason, "reason");
        Peer p = peers.get(peer);
        if (reason == FailureReason.BAD_HASH) {
            piecesRejected++;
            boolean banned = penalties.recordBadPiece(peer);
            if (p == null) {
                return banned;
            }
        } else if (p == null) {
            return penalties.isBanned(peer);
        }
        releaseRequest(p, index);
        switch (reason) {
            case TIMEOUT, ERROR, BAD_HASH -> {
                setBit(p.avoid, index);
                p.failures++;
            }
            case NOT_HELD -> {
                if (clearBit(p.has, index)) {
                    availability[index]--;
                }
            }
            case CHOKED -> p.choking = true;
            case CANCELLED -> { }
        }
        return checkBan(p, peer);
    }

    private void releaseRequest(Peer p, int i) {
        if (!clearBit(p.requested, i)) {
            return;
        }
        p.inFlight--;
        requestsOutstanding--;
        if (--requestCount[i] == 0) {
            clearBit(inFlight, i);
            inFlightCount--;
            if (!getBit(held, i)) {
                setBit(retry, i);
            }
        }
    }

    /** Applies a ban recorded in the shared penalties (by this or another download); true if banned. */
    private boolean checkBan(Peer p, NodeId id) {
        if (p.banned) {
            return true;
        }
        if (!penalties.isBanned(id)) {
            return false;
        }
        p.banned = true;
        dropAvailabilityAndRequests(p);
        return true;
    }

    private void dropAvailabilityAndRequests(Peer p) {
        for (int w = 0; w < words; w++) {
            for (long b = p.has[w]; b != 0; b &= b - 1) {
                availability[w * 64 + Long.numberOfTrailingZeros(b)]--;
            }
            p.has[w] = 0;
            for (long b = p.requested[w]; b != 0; b &= b - 1) {
                releaseRequest(p, w * 64 + Long.numberOfTrailingZeros(b));
            }
        }
    }

    // ---- state --------------------------------------------------------------------------------------------------

    /** True when every wanted piece is held. */
    public synchronized boolean isComplete() {
        return doneCount == wantedCount;
    }

    /**
     * True in endgame: pieces are missing, but every missing piece that any peer has is already in flight (BEP 3:
     * "when all remaining blocks have been requested").
     */
    public synchronized boolean isEndgame() {
        return isEndgameLocked();
    }

    private boolean isEndgameLocked() {
        if (doneCount == wantedCount || inFlightCount == 0) {
            return false;
        }
        for (int w = 0; w < words; w++) {
            for (long b = wanted[w] & ~held[w] & ~inFlight[w]; b != 0; b &= b - 1) {
                if (availability[w * 64 + Long.numberOfTrailingZeros(b)] > 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Missing wanted pieces that no (non-banned) known peer has: while this is > 0 the download cannot finish. */
    public synchronized int piecesUnavailable() {
        int n = 0;
        for (int w = 0; w < words; w++) {
            for (long b = wanted[w] & ~held[w]; b != 0; b &= b - 1) {
                if (availability[w * 64 + Long.numberOfTrailingZeros(b)] == 0) {
                    n++;
                }
            }
        }
        return n;
    }

    public synchronized Progress progress() {
        int active = 0;
        for (Peer p : peers.values()) {
            if (p.inFlight > 0) {
                active++;
            }
        }
        return new Progress(wantedCount, doneCount, inFlightCount, requestsOutstanding, piecesRejected, active,
                isEndgameLocked(), doneCount == wantedCount);
    }

    /** A copy of the pieces held. */
    public synchronized Bitfield held() {
        Bitfield b = new Bitfield(pieceCount);
        for (int i = 0; i < pieceCount; i++) {
            if (getBit(held, i)) {
                b.set(i);
            }
        }
        return b;
    }

    public synchronized boolean isHeld(int index) {
        Objects.checkIndex(index, pieceCount);
        return getBit(held, index);
    }

    /** Requests in flight to {@code peer}. */
    public synchronized int inFlight(NodeId peer) {
        Peer p = peers.get(peer);
        return p == null ? 0 : p.inFlight;
    }

    /** Pieces requested from {@code peer} and not yet answered, ascending. */
    public synchronized int[] requestedFrom(NodeId peer) {
        Peer p = peers.get(peer);
        if (p == null) {
            return new int[0];
        }
        int[] out = new int[p.inFlight];
        int n = 0;
        for (int w = 0; w < words; w++) {
            for (long b = p.requested[w]; b != 0; b &= b - 1) {
                out[n++] = w * 64 + Long.numberOfTrailingZeros(b);
            }
        }
        return out;
    }

    /** Number of non-banned known peers that have piece {@code index}. */
    public synchronized int availability(int index) {
        Objects.checkIndex(index, pieceCount);
        return availability[index];
    }

    public synchronized boolean isBanned(NodeId peer) {
        Peer p = peers.get(peer);
        return p != null ? checkBan(p, peer) : penalties.isBanned(peer);
    }

    /** Failed requests (timeout, error, bad hash) of {@code peer} since its last verified piece. */
    public synchronized int consecutiveFailures(NodeId peer) {
        Peer p = peers.get(peer);
        return p == null ? 0 : p.failures;
    }

    public int pieceCount() {
        return pieceCount;
    }

    public Config config() {
        return config;
    }

    private static boolean getBit(long[] bits, int i) {
        return (bits[i >>> 6] & (1L << i)) != 0;
    }

    private static boolean setBit(long[] bits, int i) {
        long m = 1L << i;
        long w = bits[i >>> 6];
        bits[i >>> 6] = w | m;
        return (w & m) == 0;
    }

    private static boolean clearBit(long[] bits, int i) {
        long m = 1L << i;
        long w = bits[i >>> 6];
        bits[i >>> 6] = w & ~m;
        return (w & m) != 0;
    }
}
