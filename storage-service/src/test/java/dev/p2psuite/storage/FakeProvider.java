package dev.p2psuite.storage;

import com.google.protobuf.ByteString;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.common.v1.Manifest;
import dev.p2psuite.proto.storage.v1.ChokeState;
import dev.p2psuite.proto.storage.v1.Choked;
import dev.p2psuite.proto.storage.v1.HaveBitfield;
import dev.p2psuite.proto.storage.v1.Piece;
import dev.p2psuite.proto.storage.v1.PieceNotHeld;
import dev.p2psuite.proto.storage.v1.PieceResponse;
import dev.p2psuite.proto.storage.v1.WatchChokeResponse;
import dev.p2psuite.storage.core.Bitfield;
import dev.p2psuite.storage.core.ContentId;
import dev.p2psuite.storage.core.PieceHasher;
import dev.p2psuite.storage.store.StoredContent;
import io.grpc.Status;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A provider for download tests: honest, lying, choking, slow or dying on demand. */
final class FakeProvider implements Provider {

    static final ExecutorService THREADS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-provider");
        t.setDaemon(true);
        return t;
    });

    final NodeKey key = NodeKey.generate(new SecureRandom());
    final SignedPeerRecord record = SignedPeerRecord.sign(key, 1, List.of(Candidate.host("127.0.0.1", 9)));
    final byte[] content;
    final dev.p2psuite.storage.core.Manifest manifest;
    final Bitfield has;
    volatile boolean corrupt;
    volatile boolean choking;
    volatile boolean alive = true;
    volatile boolean knowsContent = true;
    volatile Manifest forgedManifest;
    /** Dies (every stream fails, connects refused) after serving this many pieces; -1 = never. */
    volatile int dieAfter = -1;
    volatile long delayMs;
    final AtomicInteger served = new AtomicInteger();
    /** Pieces asked for by each RequestPieces call, in order. */
    final List<Integer> callSizes = new CopyOnWriteArrayList<>();
    final List<Events<WatchChokeResponse>> watchers = new CopyOnWriteArrayList<>();

    FakeProvider(byte[] content) {
        this.content = content;
        this.manifest = PieceHasher.manifestOf(content);
        this.has = Bitfield.full(manifest.pieceCount());
    }

    NodeId nodeId() {
        return key.nodeId();
    }

    @Override
    public NodeId id() {
        return key.nodeId();
    }

    @Override
    public CompletableFuture<Manifest> manifest(ContentId id) {
        if (!alive) {
            return CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("dead").asRuntimeException());
        }
        if (!knowsContent || !id.equals(manifest.contentId())) {
            return CompletableFuture.failedFuture(Status.NOT_FOUND.withDescription("no such content").asRuntimeException());
        }
        if (forgedManifest != null) {
            return CompletableFuture.completedFuture(forgedManifest);
        }
        return CompletableFuture.completedFuture(StorageWire.toProto(new StoredContent(manifest, new byte[0], 0)));
    }

    @Override
    public Cancellable watch(ContentId id, Events<WatchChokeResponse> events) {
        AtomicBoolean open = new AtomicBoolean(true);
        THREADS.execute(() -> {
            if (!alive) {
                events.onEnd(Status.UNAVAILABLE.withDescription("dead").asRuntimeException());
                return;
            }
            events.onNext(WatchChokeResponse.newBuilder().setChoke(ChokeState.newBuilder().setChoked(choking)).build());
            events.onNext(WatchChokeResponse.newBuilder().setBitfield(HaveBitfield.newBuilder()
                    .setPieceCount(manifest.pieceCount()).setBitfield(ByteString.copyFrom(has.toBytes()))).build());
            watchers.add(events);
        });
        return () -> {
            if (open.compareAndSet(true, false)) {
                watchers.remove(events);
                events.onEnd(Status.CANCELLED.asRuntimeException());
            }
        };
    }

    /** Sends an unchoke to every open WatchChoke. */
    void unchoke() {
        choking = false;
        watchers.forEach(w -> w.onNext(WatchChokeResponse.newBuilder()
                .setChoke(ChokeState.newBuilder().setChoked(false)).build()));
    }

    /** Dies now: open streams fail, new connections are refused. */
    void die() {
        alive = false;
        for (Events<WatchChokeResponse> w : watchers) {
            watchers.remove(w);
            w.onEnd(Status.UNAVAILABLE.withDescription("connection reset").asRuntimeException());
        }
    }

    @Override
    public Cancellable requestPieces(ContentId id, int[] indexes, Bitfield have, Events<PieceResponse> answers) {
        callSizes.add(indexes.length);
        AtomicBoolean cancelled = new AtomicBoolean();
        THREADS.execute(() -> {
            for (int index : indexes) {
                if (cancelled.get()) {
                    return;
                }
                if (!alive) {
                    answers.onEnd(Status.UNAVAILABLE.withDescription("connection reset").asRuntimeException());
                    return;
                }
                if (delayMs > 0) {
                    sleep(delayMs);
                }
                PieceResponse.Builder r = PieceResponse.newBuilder().setIndex(index);
                if (choking) {
                    r.setChoked(Choked.newBuilder().setRetryAfterMs(200));
                } else if (!has.get(index)) {
                    r.setNotHeld(PieceNotHeld.getDefaultInstance());
                } else {
                    int from = index * dev.p2psuite.storage.core.Manifest.PIECE_SIZE;
                    byte[] piece = Arrays.copyOfRange(content, from, from + manifest.pieceLength(index));
                    if (corrupt) {
                        piece[piece.length / 2] ^= 0x5a;
                    }
                    r.setPiece(Piece.newBuilder().setData(ByteString.copyFrom(piece)));
                    if (served.incrementAndGet() == dieAfter) {
                        answers.onNext(r.build());
                        die();
                        answers.onEnd(Status.UNAVAILABLE.withDescription("connection reset").asRuntimeException());
                        return;
                    }
                }
                answers.onNext(r.build());
            }
            answers.onEnd(null);
        });
        return () -> cancelled.set(true);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Connects to fake providers by node ID; a dead one refuses. */
    static final class Connector implements Provider.Connector {
        final Map<NodeId, FakeProvider> providers = new ConcurrentHashMap<>();

        Connector(FakeProvider... all) {
            for (FakeProvider p : all) {
                providers.put(p.nodeId(), p);
            }
        }

        @Override
        public CompletableFuture<Provider> connect(SignedPeerRecord record) {
            FakeProvider p = providers.get(record.nodeId());
            if (p == null || !p.alive) {
                return CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("connection refused")
                        .asRuntimeException());
            }
            return CompletableFuture.completedFuture(p);
        }

        @Override
        public NodeId self() {
            return null;
        }

        @Override
        public void close() {
        }
    }
}
