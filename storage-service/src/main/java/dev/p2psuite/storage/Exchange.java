package dev.p2psuite.storage;

import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.storage.v1.ChokeState;
import dev.p2psuite.proto.storage.v1.HaveBitfield;
import dev.p2psuite.proto.storage.v1.HavePieces;
import dev.p2psuite.proto.storage.v1.WatchChokeResponse;
import dev.p2psuite.storage.core.Bitfield;
import dev.p2psuite.storage.core.Choker;
import dev.p2psuite.storage.core.ContentId;
import dev.p2psuite.storage.core.PeerPenalties;
import dev.p2psuite.storage.core.RateLimiter;
import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.jboss.logging.Logger;

/**
 * The node's side of BEP 3 tit-for-tat: the storage-core {@link Choker} per authenticated node ID, ticked at least
 * once a second, the node-wide upload and download limits, the bad-piece record shared by every download and the
 * serving side, and the open WatchChoke streams (choke changes and "have" announcements are pushed on them).
 */
final class Exchange implements ContentStore.Listener, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Exchange.class);
    /** HavePieces carries at most this many indexes per message (piece_peer.proto). */
    static final int MAX_HAVE_PER_MESSAGE = 4_096;

    /** One open WatchChoke stream. */
    final class Watch {
        final NodeId peer;
        final ContentId content;
        final ServerCallStreamObserver<WatchChokeResponse> call;
        final Executor executor;
        // Touched only on executor.
        boolean closed;

        Watch(NodeId peer, ContentId content, ServerCallStreamObserver<WatchChokeResponse> call, Executor executor) {
            this.peer = peer;
            this.content = content;
            this.call = call;
            this.executor = executor;
        }

        void send(WatchChokeResponse event) {
            executor.execute(() -> {
                if (!closed) {
                    call.onNext(event);
                }
            });
        }

        void complete() {
            executor.execute(() -> {
                if (!closed) {
                    closed = true;
                    call.onCompleted();
                }
            });
            unwatch(this);
        }
    }

    private final Choker choker;
    private final PeerPenalties penalties;
    private final RateLimiter upload;
    private final RateLimiter download;
    private final InstantSource clock;
    private final Set<Watch> watches = new HashSet<>(); // guarded by this
    private final Map<NodeId, Boolean> peerChoking = new ConcurrentHashMap<>();
    private final AtomicLong totalSent = new AtomicLong();
    private final AtomicLong totalReceived = new AtomicLong();
    private final java.util.concurrent.ScheduledFuture<?> ticking;
    private final BooleanSupplier downloading;

    Exchange(Choker.Config config, long uploadLimit, long downloadLimit, int banAfterBadPieces, InstantSource clock,
             java.util.random.RandomGenerator random, ScheduledExecutorService timer, Duration tickInterval,
             BooleanSupplier downloading) {
        this.penalties = new PeerPenalties(banAfterBadPieces);
        this.choker = new Choker(config, random, penalties);
        this.clock = clock;
        this.upload = RateLimiter.perSecond(uploadLimit, clock.instant());
        this.download = RateLimiter.perSecond(downloadLimit, clock.instant());
        this.downloading = downloading;
        // BEP 3 rechokes every 10 s; ticking every second (or faster in tests) keeps them on time.
        this.ticking = timer.scheduleAtFixedRate(this::tick, 0, tickInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    static Choker.SeedingPolicy seedingPolicy(String name) {
        return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "round-robin", "round_robin" -> Choker.SeedingPolicy.ROUND_ROBIN;
            case "fastest-upload", "fastest_upload", "fastest" -> Choker.SeedingPolicy.FASTEST_UPLOAD;
            default -> throw new IllegalArgumentException("p2p.storage.exchange.seeding-policy must be round-robin or"
                    + " fastest-upload, got '" + name + "'");
        };
    }

    Choker choker() {
        return choker;
    }

    PeerPenalties penalties() {
        return penalties;
    }

    RateLimiter upload() {
        return upload;
    }

    RateLimiter download() {
        return download;
    }

    Instant now() {
        return clock.instant();
    }

    private void tick() {
        try {
            choker.setSeeding(!downloading.getAsBoolean());
            publish(choker.tick(clock.instant()));
        } catch (RuntimeException e) {
            LOG.errorf(e, "choker tick failed");
        }
    }

    // ---- serving --------------------------------------------------------------------------------------------------

    /** A piece request: serve, or "choked, retry after". */
    Choker.RequestDecision onRequest(NodeId peer) {
        Instant now = clock.instant();
        Choker.RequestDecision decision = choker.onRequest(peer, now);
        if (!decision.serve() && choker.creditSpentWhileOthersWait(peer, now)) {
            publish(choker.rechoke(now)); // its slot goes to a peer that may reciprocate, now rather than at the next rechoke
        }
        return decision;
    }

    /** Piece {@code index} of {@code content} (of {@code pieceCount} pieces) sent to the peer. */
    void recordSent(NodeId peer, ContentId content, int pieceCount, int index, long bytes) {
        totalSent.addAndGet(bytes);
        choker.recordSent(peer, content, pieceCount, index, bytes, clock.instant());
    }

    /** The bitfield a peer sent with its request: shows which of our pieces it got from others (tit-for-tat). */
    void onPeerHave(NodeId peer, ContentId content, Bitfield have) {
        choker.onPeerHave(peer, content, have, clock.instant());
    }

    /** Verified piece {@code index} of {@code content} (of {@code pieceCount} pieces) received from the peer. */
    void recordReceived(NodeId peer, ContentId content, int pieceCount, int index, long bytes) {
        totalReceived.addAndGet(bytes);
        choker.recordReceived(peer, content, pieceCount, index, bytes, clock.instant());
    }

    /** Whether the peer chokes us, as a download last saw it (TransferStats). */
    void setPeerChoking(NodeId peer, boolean choking) {
        peerChoking.put(peer, choking);
    }

    boolean peerChoking(NodeId peer) {
        return peerChoking.getOrDefault(peer, true);
    }

    long totalSent() {
        return totalSent.get();
    }

    long totalReceived() {
        return totalReceived.get();
    }

    /**
     * Opens a WatchChoke stream: the peer becomes interested; the stream gets the current choke state and bitfield
     * first, then every change.
     */
    synchronized Watch watch(NodeId peer, ContentId content, Bitfield held,
                             ServerCallStreamObserver<WatchChokeResponse> call, Executor executor) {
        Watch w = new Watch(peer, content, call, executor);
        List<Choker.ChokeState> changes = choker.onInterested(peer, clock.instant());
        Choker.ChokeState state = choker.state(peer);
        w.send(WatchChokeResponse.newBuilder().setChoke(chokeState(state)).build());
        w.send(WatchChokeResponse.newBuilder().setBitfield(HaveBitfield.newBuilder()
                .setPieceCount(held.pieceCount()).setBitfield(ByteString.copyFrom(held.toBytes()))).build());
        watches.add(w);
        publish(changes);
        return w;
    }

    /** The stream closed (cancelled by the peer or completed): the peer is no longer interested through it. */
    synchronized void unwatch(Watch w) {
        if (watches.remove(w)) {
            publish(choker.onNotInterested(w.peer, clock.instant()));
        }
    }

    private synchronized void publish(List<Choker.ChokeState> changes) {
        if (changes.isEmpty()) {
            return;
        }
        for (Choker.ChokeState change : changes) {
            WatchChokeResponse event = WatchChokeResponse.newBuilder().setChoke(chokeState(change)).build();
            for (Watch w : watches) {
                if (w.peer.equals(change.peer())) {
                    w.send(event);
                }
            }
        }
    }

    private static ChokeState chokeState(Choker.ChokeState s) {
        return ChokeState.newBuilder().setChoked(s.choked()).setOptimistic(s.optimistic()).build();
    }

    @Override
    public synchronized void piecesAdded(ContentId id, int[] indexes) {
        List<Watch> targets = new ArrayList<>();
        for (Watch w : watches) {
            if (w.content.equals(id)) {
                targets.add(w);
            }
        }
        if (targets.isEmpty()) {
            return;
        }
        for (int from = 0; from < indexes.length; from += MAX_HAVE_PER_MESSAGE) {
            HavePieces.Builder have = HavePieces.newBuilder();
            for (int i = from; i < Math.min(indexes.length, from + MAX_HAVE_PER_MESSAGE); i++) {
                have.addPieceIndexes(indexes[i]);
            }
            WatchChokeResponse event = WatchChokeResponse.newBuilder().setHave(have).build();
            targets.forEach(w -> w.send(event));
        }
    }

    @Override
    public void contentRemoved(ContentId id) {
        List<Watch> targets = new ArrayList<>();
        synchronized (this) {
            for (Watch w : watches) {
                if (w.content.equals(id)) {
                    targets.add(w);
                }
            }
        }
        targets.forEach(Watch::complete); // "closes the stream with OK if it drops the content"
    }

    @Override
    public void close() {
        ticking.cancel(false);
    }
}
