package dev.p2psuite.storage;

import dev.p2psuite.grpc.CallThread;
import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.ByteStrings;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.common.v1.ByteRange;
import dev.p2psuite.proto.storage.v1.FetchResponse;
import dev.p2psuite.proto.storage.v1.FetchState;
import dev.p2psuite.proto.storage.v1.PieceResponse;
import dev.p2psuite.proto.storage.v1.WatchChokeResponse;
import dev.p2psuite.storage.core.Bitfield;
import dev.p2psuite.storage.core.ContentId;
import dev.p2psuite.storage.core.InvalidManifestException;
import dev.p2psuite.storage.core.Manifest;
import dev.p2psuite.storage.core.PiecePicker;
import dev.p2psuite.storage.store.StoredContent;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.jboss.logging.Logger;

/**
 * One content being downloaded from several providers at once (BEP 3 piece exchange with whole 256 KiB pieces).
 *
 * <p>Manifest first: from the local store (resume) or from the first provider whose manifest verifies against the
 * content ID. Then, per provider: WatchChoke (interest, choke state, bitfield and "have"s) and RequestPieces calls
 * that keep up to the picker's pipeline depth in flight; the storage-core {@link PiecePicker} chooses rarest first
 * and runs the endgame. Every piece is verified against the manifest on arrival and stored durably before it
 * counts; a bad piece is retried elsewhere and its sender penalised (banned after repeated bad data). A provider
 * that errors or times out is retried with backoff, then dropped; when none is left the download fails with
 * UNAVAILABLE, keeping what it stored, so a later Fetch resumes.
 *
 * <p>All state is touched on one serial executor ({@code loop}); provider callbacks and timers hop onto it, piece
 * hashing and storing run on the I/O pool.
 */
final class Download {

    private static final Logger LOG = Logger.getLogger(Download.class);

    /** Most indexes in one RequestPieces call (piece_peer.proto). */
    static final int MAX_INDEXES_PER_CALL = 64;
    /**
     * Pieces past the furthest streaming reader's position (ReadContent wait_for_fetch, i.e. a GetContent client)
     * that the download may fetch: fewer than the content store keeps in memory for readers
     * ({@link ContentStore#RECENT_PIECES}), so the reader takes each piece from there. Unbounded, three seeds with
     * pipelines of 32 ran 100+ MiB ahead of the client's stream on a busy 2-core machine, and the stream then read
     * ~1,000 of 1,024 pieces back from the file store (20 young and a full collection per 256 MiB instead of 12).
     * A download without a reader (Fetch alone) is not bounded, nor one with leechers among its providers (it picks
     * rarest first across the content then, to have pieces to trade; bounded, FreeRiderSwarmTest's contributors
     * took 1.26x their download limit's time instead of 1.06-1.13x).
     */
    static final int READ_AHEAD_PIECES = ContentStore.RECENT_PIECES - 8;
    /** Duplicate requests an idle peer makes at once in endgame. */
    static final int ENDGAME_REQUESTS_PER_IDLE_PEER = 2;
    /** Nothing requested for this long is reported as STALLED. */
    static final long STALL_REPORT_NANOS = 1_000_000_000L;

    /** Tuning of downloads (StorageConfig.Fetch, shortened in tests). */
    record Settings(Duration pieceTimeout, int maxPeers, int maxPeerFailures, Duration stallTimeout,
                    Duration progressInterval, Duration retryBackoff, PiecePicker.Config picker,
                    int seedPipelineDepth) {
        Settings(Duration pieceTimeout, int maxPeers, int maxPeerFailures, Duration stallTimeout,
                 Duration progressInterval, Duration retryBackoff, PiecePicker.Config picker) {
            this(pieceTimeout, maxPeers, maxPeerFailures, stallTimeout, progressInterval, retryBackoff, picker,
                    picker.pipelineDepth());
        }

        Settings {
            if (seedPipelineDepth < 1 || seedPipelineDepth > PiecePicker.MAX_PIPELINE_DEPTH) {
                throw new IllegalArgumentException("seed pipeline depth must be 1.." + PiecePicker.MAX_PIPELINE_DEPTH
                        + ", got " + seedPipelineDepth);
            }
        }

        static Settings of(StorageConfig.Fetch f) {
            return new Settings(f.pieceTimeout(), f.maxPeers(), f.maxPeerFailures(), f.stallTimeout(),
                    Duration.ofMillis(250), Duration.ofMillis(500), new PiecePicker.Config(f.pipelineDepth(),
                            PiecePicker.Config.DEFAULT.endgameMaxRequestsPerPiece()), f.seedPipelineDepth());
        }
    }

    /** Where a Fetch call's progress goes (the gRPC adapter, or a test). */
    interface Sink {
        void progress(FetchResponse response);

        /** The end: {@code Status.OK} after COMPLETE, else the failure. Called once. */
        void end(Status status);
    }

    /** One Fetch call attached to this download. */
    static final class Subscriber {
        final Sink sink;
        final ByteRange range;
        final boolean manifestOnly;
        final boolean inOrder;
        Bitfield wanted;
        boolean manifestSent;
        FetchResponse last;
        boolean closed;

        Subscriber(Sink sink, ByteRange range, boolean manifestOnly, boolean inOrder) {
            this.sink = sink;
            this.range = range;
            this.manifestOnly = manifestOnly;
            this.inOrder = inOrder;
        }

        Subscriber(Sink sink, ByteRange range, boolean manifestOnly) {
            this(sink, range, manifestOnly, false);
        }
    }

    private enum Phase { NEW, MANIFEST, DOWNLOADING, COMPLETE, FAILED, PAUSED }

    private final class Peer {
        final NodeId id;
        SignedPeerRecord record;
        Provider provider;
        Provider.Cancellable watch;
        Bitfield has;
        boolean connecting;
        boolean active;
        boolean choking = true;
        boolean removed;
        boolean manifestAsked;
        int failures;
        String lastError;
        final Set<Call> calls = new HashSet<>();

        Peer(SignedPeerRecord record) {
            this.id = record.nodeId();
            this.record = record;
        }
    }

    /** One RequestPieces call in flight. */
    private final class Call {
        final Peer peer;
        final int[] indexes;
        final Set<Integer> answered = new HashSet<>(); // guarded by this
        volatile long lastActivity = System.nanoTime();
        Provider.Cancellable handle;
        ScheduledFuture<?> watchdog;
        boolean timedOut;
        boolean ended;

        Call(Peer peer, int[] indexes) {
            this.peer = peer;
            this.indexes = indexes;
        }
    }

    private final ContentId id;
    private final ContentStore contents;
    private final Exchange exchange;
    private final Provider.Connector connector;
    private final Settings settings;
    private final Executor io;
    private final ScheduledExecutorService timer;
    private final RandomGenerator random;
    private final Executor loop;
    private final Runnable onFinished;

    // Touched only on loop.
    private final Map<NodeId, Peer> peers = new LinkedHashMap<>();
    private final List<Subscriber> subscribers = new ArrayList<>();
    private Phase phase = Phase.NEW;
    private volatile boolean finished;
    private StoredContent content;
    private Manifest manifest;
    private PiecePicker picker;
    private Bitfield wanted;
    private long stalledSince = -1;
    private long disconnectedSince = -1;
    private boolean stalled;
    private ScheduledFuture<?> ticker;
    private final RateWindow rate = new RateWindow();
    private final List<String> manifestFailures = new ArrayList<>();
    /** Streaming readers (ReadContent wait_for_fetch) -> the piece each waits for or reads. */
    private final Map<Object, Integer> readers = new HashMap<>();
    private boolean manifestFromPeerNotFoundOnly = true;

    Download(ContentId id, ContentStore contents, Exchange exchange, Provider.Connector connector, Settings settings,
             Executor io, ScheduledExecutorService timer, RandomGenerator random, Runnable onFinished) {
        this.id = id;
        this.contents = contents;
        this.exchange = exchange;
        this.connector = connector;
        this.settings = settings;
        this.io = io;
        this.timer = timer;
        this.random = random;
        this.loop = new CallThread.Serial(io);
        this.onFinished = onFinished;
    }

    ContentId contentId() {
        return id;
    }

    /** True once the download completed, failed or paused (a later Fetch starts a new one). */
    boolean isFinished() {
        return finished;
    }

    /**
     * Attaches a Fetch with its providers. Returns false (and does nothing) if this download already finished: the
     * caller then starts a new one.
     */
    boolean subscribe(Subscriber s, List<SignedPeerRecord> providers) {
        if (finished) {
            return false;
        }
        loop.execute(() -> {
            if (finished) {
                s.sink.end(Status.UNAVAILABLE.withDescription("the download ended while this Fetch joined it; retry"));
                return;
            }
            subscribers.add(s);
            addProviders(providers);
            if (phase == Phase.NEW) {
                start();
            } else if (manifest != null) {
                attachToManifest(s);
            } else {
                send(s, progress(s));
            }
        });
        return true;
    }

    /** A Fetch call went away (cancelled); the last one leaving pauses the download (stored pieces stay). */
    void unsubscribe(Subscriber s) {
        loop.execute(() -> {
            s.closed = true;
            subscribers.remove(s);
            if (subscribers.isEmpty() && !finished) {
                LOG.debugf("download of %s paused: no Fetch left", id);
                shutdown(Phase.PAUSED);
            }
        });
    }

    /** A streaming reader now waits for or reads piece {@code index}: the download stays within reach of it. */
    void readerAt(Object reader, int index) {
        loop.execute(() -> {
            Integer before = readers.put(reader, index);
            if (before == null || before != index) {
                applyReadLimit();
            }
        });
    }

    /** A streaming reader ended. */
    void readerGone(Object reader) {
        loop.execute(() -> {
            if (readers.remove(reader) != null) {
                applyReadLimit();
            }
        });
    }

    private int readLimit() {
        int furthest = -1;
        for (int at : readers.values()) {
            furthest = Math.max(furthest, at);
        }
        return furthest < 0 ? Integer.MAX_VALUE : furthest + READ_AHEAD_PIECES;
    }

    private void applyReadLimit() {
        if (picker != null && !finished) {
            picker.setReadLimit(readLimit());
            fillAll();
        }
    }

    /** Ends the download with {@code status} (e.g. the content was deleted). */
    void abort(Status status) {
        loop.execute(() -> fail(status));
    }

    // ---- phases ---------------------------------------------------------------------------------------------------

    private void start() {
        phase = Phase.MANIFEST;
        ticker = timer.scheduleAtFixedRate(() -> loop.execute(this::tick), settings.progressInterval().toMillis(),
                settings.progressInterval().toMillis(), TimeUnit.MILLISECONDS);
        var local = contents.content(id);
        broadcastProgress(true);
        if (local.isPresent()) {
            onManifest(local.get()); // resume: the manifest (and maybe pieces) are already here
            if (finished) {
                return;
            }
        }
        activatePeers();
        checkProviders();
    }

    private void onManifest(StoredContent stored) {
        content = stored;
        manifest = stored.manifest();
        Bitfield union = new Bitfield(manifest.pieceCount());
        for (Subscriber s : List.copyOf(subscribers)) {
            if (!computeWanted(s)) {
                continue;
            }
            if (!s.manifestOnly) {
                orInto(union, s.wanted);
            }
        }
        wanted = union;
        picker = new PiecePicker(manifest.pieceCount(), contents.heldExactly(content), wanted, settings.picker(),
                exchange.penalties(), random);
        picker.setInOrder(subscribers.stream().anyMatch(s -> s.inOrder));
        picker.setReadLimit(readLimit());
        phase = Phase.DOWNLOADING;
        for (Subscriber s : List.copyOf(subscribers)) {
            sendManifestOrComplete(s);
        }
        if (subscribers.isEmpty()) {
            shutdown(Phase.PAUSED);
            return;
        }
        if (picker.isComplete()) {
            complete();
            return;
        }
        for (Peer p : peers.values()) {
            if (p.provider != null && !p.removed) {
                openWatch(p);
            }
        }
    }

    /** A subscriber that joined once the manifest was known. */
    private void attachToManifest(Subscriber s) {
        if (!computeWanted(s)) {
            return;
        }
        if (!s.manifestOnly && !isSubset(s.wanted, wanted)) {
            widen(s.wanted);
        }
        if (s.inOrder) {
            picker.setInOrder(true);
        }
        sendManifestOrComplete(s);
    }

    /** Derives the subscriber's wanted pieces from its range; false (and the subscriber ended) if out of range. */
    private boolean computeWanted(Subscriber s) {
        try {
            s.wanted = s.range == null ? Bitfield.full(manifest.pieceCount())
                    : manifest.piecesCovering(s.range.getOffset(), s.range.getLength());
            return true;
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            endSubscriber(s, Status.OUT_OF_RANGE.withDescription(e.getMessage()));
            return false;
        }
    }

    private void sendManifestOrComplete(Subscriber s) {
        if (s.closed) {
            return;
        }
        FetchResponse p = progress(s);
        boolean done = s.manifestOnly || p.getPiecesDone() == p.getPiecesTotal();
        FetchResponse.Builder b = p.toBuilder().setManifest(StorageWire.toProto(content));
        if (done) {
            b.setState(FetchState.FETCH_STATE_COMPLETE);
        }
        s.manifestSent = true;
        send(s, b.build());
        if (done) {
            endSubscriber(s, Status.OK);
        }
    }

    /** A joining Fetch wants pieces outside the current set: restart the picker with the union. */
    private void widen(Bitfield more) {
        Bitfield union = wanted.copy();
        orInto(union, more);
        wanted = union;
        picker = new PiecePicker(manifest.pieceCount(), picker.held(), wanted, settings.picker(),
                exchange.penalties(), random);
        picker.setInOrder(subscribers.stream().anyMatch(s -> s.inOrder));
        picker.setReadLimit(readLimit());
        for (Peer p : peers.values()) {
            if (!p.removed && p.has != null) {
                picker.addPeer(p.id, p.has);
                picker.setPeerChoking(p.id, p.choking);
            }
        }
        fillAll();
    }

    private void complete() {
        LOG.infof("download of %s complete (%d pieces; piece reads from memory since start: %d of %d)", id,
                manifest.pieceCount(), contents.piecesReadFromMemory(), contents.piecesRead());
        broadcastProgress(true);
        List<Subscriber> all = List.copyOf(subscribers);
        shutdown(Phase.COMPLETE); // first, so a caller told "complete" finds no download running
        for (Subscriber s : all) {
            send(s, progress(s).toBuilder().setState(FetchState.FETCH_STATE_COMPLETE).build());
            endSubscriber(s, Status.OK);
        }
    }

    private void fail(Status status) {
        if (finished) {
            return;
        }
        LOG.infof("download of %s failed: %s %s", id, status.getCode(), status.getDescription());
        List<Subscriber> all = List.copyOf(subscribers);
        shutdown(Phase.FAILED);
        for (Subscriber s : all) {
            endSubscriber(s, status);
        }
    }

    private void shutdown(Phase end) {
        if (finished) {
            return;
        }
        phase = end;
        finished = true;
        if (ticker != null) {
            ticker.cancel(false);
        }
        for (Peer p : peers.values()) {
            disconnect(p);
        }
        onFinished.run();
    }

    // ---- providers ------------------------------------------------------------------------------------------------

    private void addProviders(List<SignedPeerRecord> records) {
        NodeId self = connector.self();
        for (SignedPeerRecord r : records) {
            if (r.nodeId().equals(self)) {
                continue;
            }
            Peer p = peers.get(r.nodeId());
            if (p == null) {
                peers.put(r.nodeId(), new Peer(r));
            } else {
                if (r.seq() > p.record.seq()) {
                    p.record = r;
                }
                if (p.removed && !exchange.penalties().isBanned(p.id)) {
                    p.removed = false; // named again by a new Fetch: give it another chance
                    p.failures = 0;
                }
            }
        }
        if (phase != Phase.NEW) {
            activatePeers();
        }
    }

    /** Connects to providers until {@code maxPeers} are in use. */
    private void activatePeers() {
        int active = 0;
        for (Peer p : peers.values()) {
            if (p.active && !p.removed) {
                active++;
            }
        }
        for (Peer p : peers.values()) {
            if (active >= settings.maxPeers()) {
                break;
            }
            if (!p.active && !p.removed) {
                p.active = true;
                active++;
                connect(p);
            }
        }
    }

    private void connect(Peer p) {
        if (finished || p.removed || p.connecting) {
            return;
        }
        p.connecting = true;
        connector.connect(p.record).whenComplete((provider, e) -> loop.execute(() -> {
            p.connecting = false;
            if (finished || p.removed) {
                return;
            }
            if (e != null) {
                peerFailed(p, e);
                return;
            }
            p.provider = provider;
            if (manifest == null) {
                askManifest(p);
            } else {
                openWatch(p);
            }
        }));
    }

    private void askManifest(Peer p) {
        if (p.manifestAsked) {
            return;
        }
        p.manifestAsked = true;
        p.provider.manifest(id).whenComplete((proto, e) -> {
            if (e != null) {
                loop.execute(() -> manifestFailed(p, e));
                return;
            }
            // Verify off the loop: up to 30,000 hashes to copy and one SHA-256 over ~1 MB.
            io.execute(() -> {
                StoredContent stored;
                try {
                    Manifest m = StorageWire.fromProto(proto).verifyAgainst(id);
                    byte[] metadata = StorageWire.normalize(proto.getMetadata()).toByteArray();
                    stored = contents.storeFetchedManifest(m, metadata);
                } catch (InvalidManifestException | StorageException e2) {
                    loop.execute(() -> {
                        // A manifest that does not hash to the ID is a lie (or corruption): penalise like a bad piece.
                        exchange.penalties().recordBadPiece(p.id);
                        manifestFailed(p, Status.DATA_LOSS.withDescription("sent a manifest that does not verify: "
                                + e2.getMessage()).asRuntimeException());
                    });
                    return;
                } catch (RuntimeException e2) {
                    loop.execute(() -> fail(StorageStatus.of(e2)));
                    return;
                }
                loop.execute(() -> {
                    if (!finished && manifest == null) {
                        onManifest(stored);
                    } else if (!finished && p.provider != null && !p.removed) {
                        openWatch(p);
                    }
                });
            });
        });
    }

    private void manifestFailed(Peer p, Throwable e) {
        if (finished) {
            return;
        }
        Status s = Status.fromThrowable(e);
        if (s.getCode() != Status.Code.NOT_FOUND) {
            manifestFromPeerNotFoundOnly = false;
        }
        manifestFailures.add(p.id.toHex() + ": " + s.getCode() + (s.getDescription() == null ? ""
                : " " + s.getDescription()));
        if (manifest != null) {
            peerFailed(p, e);
            return;
        }
        removePeer(p, "manifest: " + s.getCode());
    }

    private void openWatch(Peer p) {
        if (p.watch != null || p.provider == null || finished) {
            return;
        }
        Provider provider = p.provider;
        p.watch = provider.watch(id, new Provider.Events<>() {
            @Override
            public void onNext(WatchChokeResponse event) {
                loop.execute(() -> {
                    if (p.provider == provider && !finished) {
                        onWatchEvent(p, event);
                    }
                });
            }

            @Override
            public void onEnd(Throwable error) {
                loop.execute(() -> {
                    if (p.provider != provider || finished) {
                        return;
                    }
                    p.watch = null;
                    if (error == null) {
                        removePeer(p, "no longer holds the content");
                    } else if (Status.fromThrowable(error).getCode() != Status.Code.CANCELLED) {
                        peerFailed(p, error);
                    }
                });
            }
        });
    }

    private void onWatchEvent(Peer p, WatchChokeResponse event) {
        switch (event.getEventCase()) {
            case CHOKE -> {
                p.choking = event.getChoke().getChoked();
                picker.setPeerChoking(p.id, p.choking);
                exchange.setPeerChoking(p.id, p.choking);
                fill(p);
            }
            case BITFIELD -> {
                try {
                    if (event.getBitfield().getPieceCount() != manifest.pieceCount()) {
                        throw new IllegalArgumentException("bitfield for " + event.getBitfield().getPieceCount()
                                + " pieces, the manifest has " + manifest.pieceCount());
                    }
                    p.has = Bitfield.fromBytes(manifest.pieceCount(), event.getBitfield().getBitfield().toByteArray());
                } catch (IllegalArgumentException e) {
                    peerFailed(p, Status.INVALID_ARGUMENT.withDescription("bad bitfield: " + e.getMessage())
                            .asRuntimeException());
                    return;
                }
                picker.addPeer(p.id, p.has);
                picker.setPeerChoking(p.id, p.choking);
                setDepth(p);
                fill(p);
            }
            case HAVE -> {
                for (int index : event.getHave().getPieceIndexesList()) {
                    if (index >= 0 && index < manifest.pieceCount()) {
                        if (p.has == null) {
                            p.has = new Bitfield(manifest.pieceCount());
                        }
                        p.has.set(index);
                        picker.onHave(p.id, index);
                    }
                }
                setDepth(p);
                fill(p);
            }
            default -> { }
        }
    }

    /** A call or connection to the peer failed: retry after a backoff, or drop it after repeated failures. */
    private void peerFailed(Peer p, Throwable e) {
        if (finished || p.removed) {
            return;
        }
        Status s = Status.fromThrowable(e);
        p.lastError = s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
        if (s.getCode() == Status.Code.PERMISSION_DENIED || s.getCode() == Status.Code.NOT_FOUND) {
            removePeer(p, p.lastError); // it banned us, or dropped the content
            return;
        }
        if (s.getCode() == Status.Code.UNAUTHENTICATED && connector instanceof GrpcProviders g) {
            g.forget(p.id); // session expired: authenticate again on reconnect
        }
        p.failures++;
        if (p.failures >= settings.maxPeerFailures()) {
            removePeer(p, p.lastError);
            return;
        }
        disconnect(p);
        long backoff = settings.retryBackoff().toMillis() << Math.min(p.failures - 1, 6);
        timer.schedule(() -> loop.execute(() -> connect(p)), backoff, TimeUnit.MILLISECONDS);
        checkProviders();
    }

    private void removePeer(Peer p, String why) {
        if (p.removed) {
            return;
        }
        LOG.debugf("download of %s: dropping provider %s: %s", id, p.id.toHex(), why);
        p.removed = true;
        p.lastError = why;
        p.active = false;
        disconnect(p);
        if (picker != null) {
            picker.removePeer(p.id);
        }
        activatePeers();
        checkProviders();
        fillAll();
    }

    /** Closes the peer's streams; its outstanding requests go back to the pool. */
    private void disconnect(Peer p) {
        if (p.watch != null) {
            p.watch.cancel();
            p.watch = null;
        }
        p.provider = null; // first, so ending its calls below does not start new ones
        p.choking = true;
        p.has = null;
        for (Call c : List.copyOf(p.calls)) {
            endCall(c, null, true);
        }
        if (picker != null && !finished) {
            picker.removePeer(p.id);
        }
    }

    /** Fails the download if no provider is left, or if none could serve for the stall timeout. */
    private void checkProviders() {
        if (finished || phase == Phase.NEW) {
            return;
        }
        boolean anyLeft = peers.values().stream().anyMatch(p -> !p.removed);
        if (!anyLeft) {
            if (manifest == null) {
                fail(manifestFromPeerNotFoundOnly && !manifestFailures.isEmpty()
                        ? Status.NOT_FOUND.withDescription("no provider has the manifest of " + id + " ("
                                + String.join("; ", manifestFailures) + ")")
                        : Status.UNAVAILABLE.withDescription("no provider could give the manifest of " + id + " ("
                                + String.join("; ", manifestFailures) + ")"));
            } else {
                fail(Status.UNAVAILABLE.withDescription("every provider failed (" + failures() + "); "
                        + picker.progress().piecesDone() + " of " + picker.progress().piecesWanted()
                        + " pieces are stored here and a later Fetch resumes from them"));
            }
        }
    }

    private String failures() {
        List<String> out = new ArrayList<>();
        for (Peer p : peers.values()) {
            out.add(p.id.toHex().substring(0, 8) + ": " + (p.lastError == null ? "no answer" : p.lastError));
        }
        return String.join("; ", out);
    }

    // ---- requests -------------------------------------------------------------------------------------------------

    private void fillAll() {
        for (Peer p : peers.values()) {
            fill(p);
        }
    }

    /**
     * A seed (it holds every piece) may get a deeper pipeline (seed-pipeline-depth): fewer RequestPieces calls, each of
     * which crosses three processes. Leechers keep the shallow one, so pieces spread among them as tit-for-tat needs
     * (with depth 32 for every provider, FreeRiderSwarmTest's free rider kept up with the contributors), and so do
     * seeds under a download limit (with 32 for seeds there, the test's contributors took 1.16-1.26x their limit's
     * time instead of 1.06-1.13x).
     */
    private void setDepth(Peer p) {
        if (p.has != null) {
            // Under a download limit the limit, not the calls, bounds the rate, and each call reserves its pieces' bytes
            // of it up front: a seed's deep call would hold back the calls to leechers that tit-for-tat needs.
            boolean deep = p.has.isComplete() && exchange.download().isUnlimited();
            picker.setPipelineDepth(p.id, deep ? settings.seedPipelineDepth() : settings.picker().pipelineDepth());
        }
    }

    /** Keeps the peer's pipeline full: one RequestPieces call for whatever room the picker gives. */
    private void fill(Peer p) {
        if (finished || phase != Phase.DOWNLOADING || p.removed || p.provider == null || p.choking || p.has == null) {
            return;
        }
        // Batch: wait until half the pipeline is free, so steady state is a call per few pieces, not per piece.
        int depth = picker.pipelineDepth(p.id);
        if (picker.inFlight(p.id) > depth / 2) {
            return;
        }
        if (picker.isEndgame()) {
            // Endgame (BEP 3): only a peer with nothing left to do asks for pieces already requested elsewhere, one
            // piece per call, so the copy can be withdrawn alone once another arrives. Asking busy peers too would
            // duplicate most of the tail (pipeline depth x peers pieces) on fast links.
            if (picker.inFlight(p.id) > 0) {
                return;
            }
            for (int n = 0; n < ENDGAME_REQUESTS_PER_IDLE_PEER; n++) {
                OptionalInt next = picker.pickNext(p.id);
                if (next.isEmpty()) {
                    break;
                }
                issue(p, new int[] {next.getAsInt()});
            }
            return;
        }
        int[] indexes = picker.pickUpTo(p.id, MAX_INDEXES_PER_CALL);
        if (indexes.length == 0) {
            return;
        }
        issue(p, indexes);
    }

    private void issue(Peer p, int[] indexes) {
        long bytes = 0;
        for (int i : indexes) {
            bytes += manifest.pieceLength(i);
        }
        Call call = new Call(p, indexes);
        p.calls.add(call);
        long wait = exchange.download().reserve(bytes, exchange.now()).toNanos(); // node-wide download limit
        if (wait > 0) {
            timer.schedule(() -> loop.execute(() -> startCall(call)), wait, TimeUnit.NANOSECONDS);
        } else {
            startCall(call);
        }
    }

    /**
     * A requested piece that did not arrive (choked, not held, failed, withdrawn) gives its bytes back to the download
     * limit, which counts bytes received, not asked for; else every choke would cost the limit a pipeline's worth.
     */
    private void refund(int index) {
        exchange.download().refund(manifest.pieceLength(index), exchange.now());
    }

    private void startCall(Call call) {
        Peer p = call.peer;
        if (call.ended || p.provider == null || finished) {
            return;
        }
        if (p.choking) {
            // Choked while the call waited for the download limit: BEP 3 peers do not request from a peer that chokes
            // them; its pieces go back to the picker and their budget to the limiter.
            endCall(call, null, true);
            return;
        }
        call.lastActivity = System.nanoTime();
        StoredContent target = content;
        // The call carries our bitfield, so the provider sees what it sent us passed on (tit-for-tat for seeds).
        call.handle = p.provider.requestPieces(id, call.indexes, picker.held(), new Provider.Events<>() {
            @Override
            public void onNext(PieceResponse answer) {
                call.lastActivity = System.nanoTime();
                int index = answer.getIndex();
                synchronized (call) {
                    if (!contains(call.indexes, index) || !call.answered.add(index)) {
                        // Not asked, or answered twice: a protocol violation; the stream's end will count it.
                        return;
                    }
                }
                switch (answer.getResultCase()) {
                    case PIECE -> io.execute(() -> verifyAndStore(call, target, index, answer.getPiece().getData()));
                    case CHOKED -> loop.execute(() -> {
                        refund(index);
                        onChoked(call, index, answer.getChoked().getRetryAfterMs());
                    });
                    case NOT_HELD -> loop.execute(() -> {
                        refund(index);
                        onFailed(call.peer, index, PiecePicker.FailureReason.NOT_HELD);
                    });
                    default -> loop.execute(() -> {
                        refund(index);
                        onFailed(call.peer, index, PiecePicker.FailureReason.ERROR);
                    });
                }
            }

            @Override
            public void onEnd(Throwable error) {
                loop.execute(() -> endCall(call, error, false));
            }
        });
        long timeout = settings.pieceTimeout().toNanos();
        call.watchdog = timer.scheduleAtFixedRate(() -> {
            if (System.nanoTime() - call.lastActivity > timeout) {
                loop.execute(() -> {
                    if (!call.ended) {
                        call.timedOut = true;
                        endCall(call, Status.DEADLINE_EXCEEDED.withDescription("no piece for "
                                + settings.pieceTimeout().toMillis() + " ms").asRuntimeException(), true);
                    }
                });
            }
        }, timeout / 4, timeout / 4, TimeUnit.NANOSECONDS);
    }

    /** Hashes the piece against the manifest and stores it (I/O pool); the outcome goes back to the loop. */
    private void verifyAndStore(Call call, StoredContent target, int index, ByteString data) {
        if (finished) {
            return;
        }
        byte[] bytes = ByteStrings.exactArray(data); // the parsed message's own array: no copy
        if (!target.manifest().verifyPiece(index, bytes)) {
            loop.execute(() -> onFailed(call.peer, index, PiecePicker.FailureReason.BAD_HASH));
            return;
        }
        CompletableFuture<Void> stored;
        try {
            stored = contents.storeVerifiedPiece(target, index, bytes);
        } catch (RuntimeException e) {
            loop.execute(() -> fail(StorageStatus.of(e))); // e.g. RESOURCE_EXHAUSTED: the disk is full
            return;
        }
        stored.whenComplete((v, e) -> loop.execute(() -> {
            if (e != null) {
                fail(Status.INTERNAL.withDescription("cannot store piece " + index + ": " + e));
            } else {
                onVerified(call.peer, index, bytes.length);
            }
        }));
    }

    private void onVerified(Peer p, int index, int length) {
        if (finished) {
            return;
        }
        exchange.recordReceived(p.id, id, manifest.pieceCount(), index, length);
        rate.add(length);
        // Endgame duplicates of this piece at other peers: withdraw the calls that wait for nothing else.
        for (NodeId other : picker.onPieceVerified(p.id, index)) {
            Peer q = peers.get(other);
            if (q == null) {
                continue;
            }
            for (Call c : List.copyOf(q.calls)) {
                if (contains(c.indexes, index) && onlyHeldLeft(c)) {
                    endCall(c, null, true);
                }
            }
        }
        p.failures = 0;
        if (picker.isComplete()) {
            complete();
            return;
        }
        for (Subscriber s : List.copyOf(subscribers)) {
            if (s.wanted != null && !s.manifestOnly && s.manifestSent) {
                FetchResponse pr = progress(s);
                if (pr.getPiecesDone() == pr.getPiecesTotal()) { // a range Fetch sharing a larger download
                    send(s, pr.toBuilder().setState(FetchState.FETCH_STATE_COMPLETE).build());
                    endSubscriber(s, Status.OK);
                }
            }
        }
        fill(p);
    }

    private void onChoked(Call call, int index, int retryAfterMs) {
        Peer p = call.peer;
        if (finished) {
            return;
        }
        picker.onPieceFailed(p.id, index, PiecePicker.FailureReason.CHOKED);
        if (!p.choking) {
            p.choking = true;
            exchange.setPeerChoking(p.id, true);
            // WatchChoke normally announces the unchoke; ask again after the hint in case it does not.
            long wait = Math.max(100, Math.min(retryAfterMs, 10_000));
            timer.schedule(() -> loop.execute(() -> {
                if (p.choking && !p.removed && p.provider != null) {
                    p.choking = false;
                    picker.setPeerChoking(p.id, false);
                    fill(p);
                }
            }), wait, TimeUnit.MILLISECONDS);
        }
        fillAll();
    }

    private void onFailed(Peer p, int index, PiecePicker.FailureReason reason) {
        if (finished) {
            return;
        }
        boolean banned = picker.onPieceFailed(p.id, index, reason);
        if (reason == PiecePicker.FailureReason.BAD_HASH) {
            LOG.infof("download of %s: piece %d from %s failed verification%s", id, index, p.id.toHex(),
                    banned ? "; the peer is banned" : "; fetching it elsewhere");
        }
        if (banned) {
            removePeer(p, "banned after " + exchange.penalties().badPieces(p.id) + " bad pieces");
            return;
        }
        fillAll();
    }

    /** The call ended: unanswered indexes go back to the pool; an error counts against the peer. */
    private void endCall(Call call, Throwable error, boolean cancel) {
        if (call.ended) {
            return;
        }
        call.ended = true;
        Peer p = call.peer;
        p.calls.remove(call);
        if (call.watchdog != null) {
            call.watchdog.cancel(false);
        }
        if (cancel && call.handle != null) {
            call.handle.cancel();
        }
        List<Integer> unanswered = new ArrayList<>();
        synchronized (call) {
            for (int i : call.indexes) {
                if (!call.answered.contains(i)) {
                    unanswered.add(i);
                }
            }
        }
        for (int i : unanswered) {
            refund(i);
        }
        if (finished || picker == null) {
            return;
        }
        PiecePicker.FailureReason reason = call.timedOut ? PiecePicker.FailureReason.TIMEOUT
                : error == null || cancel ? PiecePicker.FailureReason.CANCELLED : PiecePicker.FailureReason.ERROR;
        for (int i : unanswered) {
            picker.onPieceFailed(p.id, i, reason);
        }
        if (error != null && !cancel) {
            peerFailed(p, error);
        } else if (call.timedOut) {
            peerFailed(p, error);
        } else if (!unanswered.isEmpty() && error == null && !cancel) {
            peerFailed(p, Status.DATA_LOSS.withDescription("stream ended without answering " + unanswered.size()
                    + " requested pieces").asRuntimeException());
        }
        fillAll();
    }

    // ---- progress -------------------------------------------------------------------------------------------------

    private void tick() {
        if (finished) {
            return;
        }
        long now = System.nanoTime();
        // Providers that are connected now. Choking ones count: being choked is waiting (STALLED), not failing.
        boolean anyConnected = peers.values().stream().anyMatch(p -> !p.removed && p.provider != null);
        if (anyConnected || phase == Phase.NEW) {
            disconnectedSince = -1;
        } else if (disconnectedSince < 0) {
            disconnectedSince = now;
        } else if (now - disconnectedSince > settings.stallTimeout().toNanos()) {
            fail(Status.UNAVAILABLE.withDescription("no provider could be reached for "
                    + settings.stallTimeout().toSeconds() + " s (" + failures() + ")" + (picker == null ? ""
                    : "; " + picker.progress().piecesDone() + " of " + picker.progress().piecesWanted()
                            + " pieces are stored here and a later Fetch resumes from them")));
            return;
        }
        if (phase == Phase.DOWNLOADING) {
            // STALLED: nothing requested for a while (every provider chokes us, is reconnecting, or lacks the pieces),
            // not waiting for a slow reader to take what was fetched.
            if (picker.progress().requestsInFlight() == 0 && !picker.waitsForReader()) {
                if (stalledSince < 0) {
                    stalledSince = now;
                }
                stalled = now - stalledSince > STALL_REPORT_NANOS;
            } else {
                stalledSince = -1;
                stalled = false;
            }
        }
        broadcastProgress(false);
    }

    private void broadcastProgress(boolean force) {
        for (Subscriber s : List.copyOf(subscribers)) {
            if (manifest != null && !s.manifestSent) {
                continue; // its first DOWNLOADING message carries the manifest
            }
            FetchResponse p = progress(s);
            if (force || !p.equals(s.last)) {
                send(s, p);
            }
        }
    }

    private FetchResponse progress(Subscriber s) {
        FetchResponse.Builder b = FetchResponse.newBuilder();
        if (manifest == null || picker == null) {
            return b.setState(FetchState.FETCH_STATE_MANIFEST).build();
        }
        PiecePicker.Progress pr = picker.progress();
        Bitfield held = picker.held();
        Bitfield mine = new Bitfield(manifest.pieceCount());
        int total = s.wanted == null ? 0 : s.wanted.cardinality();
        if (s.wanted != null) {
            for (int i = s.wanted.nextSetBit(0); i >= 0; i = s.wanted.nextSetBit(i + 1)) {
                if (held.get(i)) {
                    mine.set(i);
                }
            }
        }
        FetchState state = stalled ? FetchState.FETCH_STATE_STALLED
                : pr.endgame() ? FetchState.FETCH_STATE_ENDGAME : FetchState.FETCH_STATE_DOWNLOADING;
        return b.setState(state)
                .setPiecesDone(mine.cardinality())
                .setPiecesTotal(total)
                .setBytesDone(manifest.bytesIn(mine))
                .setBytesTotal(s.wanted == null ? 0 : manifest.bytesIn(s.wanted))
                .setPeersActive(pr.peersActive())
                .setRateBytesPerS(rate.perSecond())
                .setPiecesRejected(pr.piecesRejected())
                .build();
    }

    private void send(Subscriber s, FetchResponse r) {
        if (!s.closed) {
            s.last = r;
            s.sink.progress(r);
        }
    }

    private void endSubscriber(Subscriber s, Status status) {
        if (s.closed) {
            return;
        }
        s.closed = true;
        subscribers.remove(s);
        s.sink.end(status);
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private boolean onlyHeldLeft(Call c) {
        synchronized (c) {
            for (int i : c.indexes) {
                if (!c.answered.contains(i) && !picker.isHeld(i)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    private static void orInto(Bitfield into, Bitfield from) {
        for (int i = from.nextSetBit(0); i >= 0; i = from.nextSetBit(i + 1)) {
            into.set(i);
        }
    }

    private static boolean isSubset(Bitfield a, Bitfield b) {
        for (int i = a.nextSetBit(0); i >= 0; i = a.nextSetBit(i + 1)) {
            if (!b.get(i)) {
                return false;
            }
        }
        return true;
    }

    /** Bytes per second over the last ~4 s, in 250 ms buckets. */
    static final class RateWindow {
        private static final long BUCKET_NANOS = 250_000_000L;
        private final long[] buckets = new long[16];
        private long bucketAt = System.nanoTime() / BUCKET_NANOS;

        synchronized void add(long bytes) {
            roll();
            buckets[(int) (bucketAt % buckets.length)] += bytes;
        }

        synchronized long perSecond() {
            roll();
            long sum = 0;
            for (long b : buckets) {
                sum += b;
            }
            return sum * 1_000_000_000L / (BUCKET_NANOS * buckets.length);
        }

        private void roll() {
            long now = System.nanoTime() / BUCKET_NANOS;
            for (long b = bucketAt + 1; b <= now && b <= bucketAt + buckets.length; b++) {
                buckets[(int) (b % buckets.length)] = 0;
            }
            bucketAt = Math.max(bucketAt, now);
        }
    }

    /** Completes when the download ends (tests). */
    CompletableFuture<Void> idle() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        loop.execute(() -> f.complete(null));
        return f;
    }
}
