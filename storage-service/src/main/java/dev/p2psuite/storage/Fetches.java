package dev.p2psuite.storage;

import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.storage.v1.FetchRequest;
import dev.p2psuite.proto.storage.v1.FetchResponse;
import dev.p2psuite.storage.core.ContentId;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The running downloads, one per content: a Fetch of a content already downloading joins it (and adds its
 * providers); cancelling the last Fetch of a content pauses it; DeleteContent aborts it. Also lets ReadContent
 * wait for pieces of a running download ({@code wait_for_fetch}).
 */
final class Fetches implements ContentStore.Listener, AutoCloseable {

    /** Providers one Fetch may name (storage_internal.proto). */
    static final int MAX_PROVIDERS = 100;

    private final ContentStore contents;
    private final Exchange exchange;
    private final Provider.Connector connector;
    private final Download.Settings settings;
    private final Executor io;
    private final ScheduledExecutorService timer;
    private final SplittableRandom random = new SplittableRandom();
    private final Map<ContentId, Download> running = new HashMap<>(); // guarded by this
    /** ReadContent waiting for pieces of running downloads: content -> piece index -> arrival. */
    private final Map<ContentId, Map<Integer, CompletableFuture<Void>>> waiters = new HashMap<>(); // guarded by this

    Fetches(ContentStore contents, Exchange exchange, Provider.Connector connector, Download.Settings settings,
            Executor io, ScheduledExecutorService timer) {
        this.contents = contents;
        this.exchange = exchange;
        this.connector = connector;
        this.settings = settings;
        this.io = io;
        this.timer = timer;
    }

    synchronized boolean anyRunning() {
        return !running.isEmpty();
    }

    synchronized boolean isFetching(ContentId id) {
        return running.containsKey(id);
    }

    /** The content's running download, or null. */
    private synchronized Download runningDownload(ContentId id) {
        return running.get(id);
    }

    /** The gRPC face of Fetch: validates, then attaches the call to the content's download. */
    void fetch(FetchRequest request, ServerCallStreamObserver<FetchResponse> call, Executor callExecutor) {
        ContentId id;
        List<SignedPeerRecord> providers = new ArrayList<>();
        try {
            id = StorageWire.contentId(request.getContentId(), request.hasContentId(), "content_id");
            if (request.getProvidersCount() < 1 || request.getProvidersCount() > MAX_PROVIDERS) {
                throw StorageException.invalid("providers must list 1.." + MAX_PROVIDERS + " signed records, got "
                        + request.getProvidersCount());
            }
            for (int i = 0; i < request.getProvidersCount(); i++) {
                SignedPeerRecord r = PeerRecords.fromProto(request.getProviders(i), "providers[" + i + "]");
                r.verify();
                providers.add(r);
            }
        } catch (InvalidRecordException | RuntimeException e) {
            call.onError(StorageStatus.exception(e));
            return;
        }
        Download.Subscriber[] subscriber = new Download.Subscriber[1];
        Download.Sink sink = new Download.Sink() {
            @Override
            public void progress(FetchResponse response) {
                callExecutor.execute(() -> {
                    if (!call.isCancelled()) {
                        call.onNext(response);
                    }
                });
            }

            @Override
            public void end(Status status) {
                callExecutor.execute(() -> {
                    if (call.isCancelled()) {
                        return;
                    }
                    if (status.isOk()) {
                        call.onCompleted();
                    } else {
                        call.onError(status.asRuntimeException());
                    }
                });
            }
        };
        subscriber[0] = new Download.Subscriber(sink, request.hasRange() ? request.getRange() : null,
                request.getManifestOnly(), request.getInOrder());
        Download download = attach(id, subscriber[0], providers);
        call.setOnCancelHandler(() -> download.unsubscribe(subscriber[0]));
    }

    /** Attaches a subscriber to the content's download, starting one if none runs (used by tests directly). */
    Download attach(ContentId id, Download.Subscriber subscriber, List<SignedPeerRecord> providers) {
        while (true) {
            Download d;
            synchronized (this) {
                d = running.get(id);
                if (d == null || d.isFinished()) {
                    Download[] self = new Download[1];
                    d = new Download(id, contents, exchange, connector, settings, io, timer, random.split(),
                            () -> finished(self[0]));
                    self[0] = d;
                    running.put(id, d);
                }
            }
            if (d.subscribe(subscriber, providers)) {
                return d;
            }
        }
    }

    private void finished(Download d) {
        List<CompletableFuture<Void>> release;
        synchronized (this) {
            running.remove(d.contentId(), d);
            Map<Integer, CompletableFuture<Void>> w = waiters.remove(d.contentId());
            release = w == null ? List.of() : new ArrayList<>(w.values());
        }
        // A reader waiting for a piece looks again: now held, or "no Fetch runs" (FAILED_PRECONDITION).
        release.forEach(f -> f.complete(null));
    }

    /** A streaming reader of {@code id} waits for or reads piece {@code index} (the download's read-ahead bound). */
    void readerAt(ContentId id, Object reader, int index) {
        Download d = runningDownload(id);
        if (d != null) {
            d.readerAt(reader, index);
        }
    }

    /** A streaming reader of {@code id} ended. */
    void readerGone(ContentId id, Object reader) {
        Download d = runningDownload(id);
        if (d != null) {
            d.readerGone(reader);
        }
    }

    /**
     * A future completing when piece {@code index} of {@code id} is stored (or its download ends); null if no
     * download of it runs.
     */
    CompletableFuture<Void> awaitPiece(ContentId id, int index) {
        CompletableFuture<Void> f;
        synchronized (this) {
            Download d = running.get(id);
            if (d == null || d.isFinished()) {
                return null;
            }
            f = waiters.computeIfAbsent(id, k -> new HashMap<>()).computeIfAbsent(index, k -> new CompletableFuture<>());
        }
        // The piece may have been stored between the caller's check and this registration.
        contents.content(id).ifPresent(c -> {
            if (contents.store().hasPiece(c.manifest().pieceHash(index))) {
                f.complete(null);
            }
        });
        return f;
    }

    /** Aborts the content's download (DeleteContent). */
    void cancel(ContentId id) {
        Download d = runningDownload(id);
        if (d != null) {
            d.abort(Status.ABORTED.withDescription("content " + id + " was deleted on this node"));
        }
    }

    @Override
    public void piecesAdded(ContentId id, int[] indexes) {
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        synchronized (this) {
            Map<Integer, CompletableFuture<Void>> w = waiters.get(id);
            if (w == null) {
                return;
            }
            for (int i : indexes) {
                CompletableFuture<Void> f = w.remove(i);
                if (f != null) {
                    ready.add(f);
                }
            }
        }
        ready.forEach(f -> f.complete(null));
    }

    @Override
    public void contentRemoved(ContentId id) {
        cancel(id);
    }

    @Override
    public void close() {
        List<Download> all;
        synchronized (this) {
            all = new ArrayList<>(running.values());
        }
        all.forEach(d -> d.abort(Status.UNAVAILABLE.withDescription("storage-service is shutting down")));
        connector.close();
    }
}
