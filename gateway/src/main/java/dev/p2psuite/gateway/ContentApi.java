package dev.p2psuite.gateway;

import dev.p2psuite.grpc.CallThread;
import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.GrpcFutures;
import dev.p2psuite.grpc.RawMessages;
import static dev.p2psuite.gateway.InternalCalls.dhtCall;
import static dev.p2psuite.gateway.InternalCalls.relay;
import static dev.p2psuite.gateway.InternalCalls.statusOf;
import static dev.p2psuite.gateway.InternalCalls.storageCall;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.common.v1.ByteRange;
import dev.p2psuite.proto.common.v1.SignedPeerRecord;
import dev.p2psuite.proto.dht.v1.DhtInternalGrpc;
import dev.p2psuite.proto.dht.v1.ProvideRequest;
import dev.p2psuite.proto.dht.v1.UnprovideRequest;
import dev.p2psuite.proto.gateway.v1.Chunk;
import dev.p2psuite.proto.gateway.v1.ContentInfo;
import dev.p2psuite.proto.gateway.v1.DeleteContentRequest;
import dev.p2psuite.proto.gateway.v1.DeleteContentResponse;
import dev.p2psuite.proto.gateway.v1.FindProvidersRequest;
import dev.p2psuite.proto.gateway.v1.FindProvidersResponse;
import dev.p2psuite.proto.gateway.v1.GetContentHeader;
import dev.p2psuite.proto.gateway.v1.GetContentRequest;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.ListContentRequest;
import dev.p2psuite.proto.gateway.v1.ListContentResponse;
import dev.p2psuite.proto.gateway.v1.PeerInfo;
import dev.p2psuite.proto.gateway.v1.Progress;
import dev.p2psuite.proto.gateway.v1.PutContentRequest;
import dev.p2psuite.proto.gateway.v1.PutContentResponse;
import dev.p2psuite.proto.gateway.v1.StatRequest;
import dev.p2psuite.proto.gateway.v1.StatResponse;
import dev.p2psuite.proto.gateway.v1.ConnectionPath;
import dev.p2psuite.proto.storage.v1.ContentSummary;
import dev.p2psuite.proto.storage.v1.FetchRequest;
import dev.p2psuite.proto.storage.v1.FetchResponse;
import dev.p2psuite.proto.storage.v1.FetchState;
import dev.p2psuite.proto.storage.v1.PutContentStart;
import dev.p2psuite.proto.storage.v1.ReadContentRequest;
import dev.p2psuite.proto.storage.v1.ReadContentResponse;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import dev.p2psuite.storage.core.ContentId;
import io.grpc.ClientCall;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jboss.logging.Logger;

/**
 * The content half of the client API (node_api.proto): put, get, stat, list, delete, find providers. The node's
 * storage-service stores, reads and downloads; its dht-service announces and finds providers. Bytes stream
 * through with end-to-end flow control: a chunk is asked for only once the next hop can take it, so no content
 * is ever held whole here.
 */
@ApplicationScoped
public class ContentApi {

    private static final Logger LOG = Logger.getLogger(ContentApi.class);

    /** Providers asked for when getting content (the DHT's k). */
    static final int GET_PROVIDERS = 20;
    /** A failed provider announcement is retried after this long, doubling up to {@link #PROVIDE_RETRY_MAX_MS}. */
    static final long PROVIDE_RETRY_FIRST_MS = 5_000;
    static final long PROVIDE_RETRY_MAX_MS = 600_000;

    private final InternalServices services;
    private final java.time.Duration providerRefreshInterval;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "provide-retry");
        t.setDaemon(true);
        return t;
    });

    ContentApi(InternalServices services, GatewayConfig config) {
        this.services = services;
        this.providerRefreshInterval = config.gateway().providerRefreshInterval();
    }

    @PreDestroy
    void close() {
        retries.shutdownNow();
    }

    // ---- PutContent ---------------------------------------------------------------------------------------------

    /** Streams a put into storage-service, then announces the node as a provider. */
    StreamObserver<PutContentRequest> put(StreamObserver<PutContentResponse> responses) {
        StreamObserver<InputStream> raw = putRaw(responses);
        return new StreamObserver<>() {
            @Override
            public void onNext(PutContentRequest value) {
                raw.onNext(RawMessages.BYTES.stream(value.toByteArray()));
            }

            @Override
            public void onError(Throwable t) {
                raw.onError(t);
            }

            @Override
            public void onCompleted() {
                raw.onCompleted();
            }
        };
    }

    /**
     * {@link #put} with each request as the client serialized it: passed to storage-service unparsed (the two
     * PutContentRequest messages have the same fields and numbers; storage-service validates them).
     */
    StreamObserver<InputStream> putRaw(StreamObserver<PutContentResponse> responses) {
        ServerCallStreamObserver<PutContentResponse> client = (ServerCallStreamObserver<PutContentResponse>) responses;
        client.disableAutoRequest();
        Executor loop = CallThread.current();
        Put put = new Put(client, loop);
        ClientCall<InputStream, dev.p2psuite.proto.storage.v1.PutContentResponse> call = services.storageOnThisThread().newCall(
                RawContentMethods.STORAGE_PUT, io.grpc.CallOptions.DEFAULT.withExecutor(loop)
                        .withOnReadyThreshold(dev.p2psuite.grpc.WireLimits.BULK_ON_READY_THRESHOLD_BYTES));
        io.grpc.stub.ClientCalls.asyncClientStreamingCall(call, put);
        client.request(1);
        return put.requests;
    }

    /** One put: client → this gateway → storage-service, one message at a time. */
    private final class Put implements ClientResponseObserver<InputStream, dev.p2psuite.proto.storage.v1.PutContentResponse> {
        final ServerCallStreamObserver<PutContentResponse> client;
        final Executor loop;
        ClientCallStreamObserver<InputStream> storage;
        dev.p2psuite.proto.storage.v1.PutContentResponse stored;
        boolean waiting;
        boolean ended;

        Put(ServerCallStreamObserver<PutContentResponse> client, Executor loop) {
            this.client = client;
            this.loop = loop;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<InputStream> storage) {
            this.storage = storage;
            storage.setOnReadyHandler(() -> {
                if (waiting && !ended) {
                    waiting = false;
                    client.request(1);
                }
            });
        }

        /** The client's requests as received ({@link RawMessages#DETACHED}); each is sent on or closed. */
        final StreamObserver<InputStream> requests = new StreamObserver<>() {
            @Override
            public void onNext(InputStream request) {
                if (ended) {
                    RawMessages.closeQuietly(request);
                    return;
                }
                // The two messages have the same fields and numbers: pass the bytes on. An empty message has neither
                // part; anything else storage-service checks (start first and once, chunk sizes, metadata).
                if (RawMessages.length(request) == 0) {
                    RawMessages.closeQuietly(request);
                    fail(Status.INVALID_ARGUMENT.withDescription(
                            "each PutContent message needs `start` (first) or `chunk`; got an empty message"));
                    return;
                }
                storage.onNext(request);
                if (storage.isReady()) {
                    client.request(1);
                } else {
                    waiting = true;
                }
            }

            @Override
            public void onError(Throwable t) { // the client cancelled: storage-service stores no manifest
                ended = true;
                storage.cancel("client cancelled the put", null);
            }

            @Override
            public void onCompleted() {
                if (!ended) {
                    storage.onCompleted();
                }
            }
        };

        private void fail(Status status) {
            ended = true;
            storage.cancel(status.getDescription(), null);
            client.onError(status.asRuntimeException());
        }

        @Override
        public void onNext(dev.p2psuite.proto.storage.v1.PutContentResponse value) {
            stored = value;
        }

        @Override
        public void onError(Throwable t) {
            if (!ended) {
                ended = true;
                client.onError(statusOf(t).asRuntimeException());
            }
        }

        @Override
        public void onCompleted() {
            if (ended) {
                return;
            }
            ended = true;
            ContentId id = ContentId.of(stored.getContentId().getValue().toByteArray());
            CompletableFuture<ContentSummary> summary = stat(id, false).thenApply(s -> s.getSummary());
            CompletableFuture<Integer> announced = provide(id);
            summary.thenCombine(announced, (s, count) -> PutContentResponse.newBuilder()
                            .setContent(info(s)).setAlreadyPresent(stored.getAlreadyPresent())
                            .setProvidersAnnounced(count).build())
                    .whenCompleteAsync((response, failure) -> {
                        if (failure != null) {
                            client.onError(statusOf(failure).asRuntimeException());
                        } else {
                            client.onNext(response);
                            client.onCompleted();
                        }
                    }, loop);
        }
    }

    // ---- GetContent ---------------------------------------------------------------------------------------------

    /**
     * Serves a get: from storage-service if every piece is held, else downloads from providers found in the DHT
     * while streaming each piece as soon as it is verified (ReadContent {@code wait_for_fetch}).
     */
    void get(GetContentRequest request, StreamObserver<GetContentResponse> responses) {
        ServerCallStreamObserver<GetContentResponse> client = (ServerCallStreamObserver<GetContentResponse>) responses;
        ContentId id = contentIdOrRefuse(request.getContentId(), client);
        if (id == null) {
            return;
        }
        new Get(id, request, client, CallThread.current(), false).start();
    }

    /**
     * {@link #get}, sending each chunk as storage-service's serialized ReadContentResponse wrapped as a
     * GetContentResponse chunk ({@link RawContentMethods.RawChunk}): {@code responses} must belong to a call bound
     * with {@link RawContentMethods#GET_RESPONSES}.
     */
    void getRaw(GetContentRequest request, StreamObserver<Object> responses) {
        @SuppressWarnings({"unchecked", "rawtypes"})
        ServerCallStreamObserver<GetContentResponse> client = (ServerCallStreamObserver) responses;
        ContentId id = contentIdOrRefuse(request.getContentId(), client);
        if (id == null) {
            return;
        }
        new Get(id, request, client, CallThread.current(), true).start();
    }

    /** One get: the storage calls it runs and the client stream they feed, all on the caller's event loop. */
    private final class Get {
        final ContentId id;
        final GetContentRequest request;
        final ServerCallStreamObserver<GetContentResponse> client;
        final Executor loop;
        final boolean rawChunks;
        ClientCallStreamObserver<FetchRequest> fetch;
        ClientCallStreamObserver<ReadContentRequest> read;
        java.util.concurrent.ScheduledFuture<?> providerRefresh;
        boolean headerSent;
        boolean readWaiting;
        boolean ended;

        Get(ContentId id, GetContentRequest request, ServerCallStreamObserver<GetContentResponse> client, Executor loop,
            boolean rawChunks) {
            this.rawChunks = rawChunks;
            this.id = id;
            this.request = request;
            this.client = client;
            this.loop = loop;
        }

        void start() {
            // Chunks are relayed while up to two are queued to the client, not one at a time (WireLimits).
            client.setOnReadyThreshold(dev.p2psuite.grpc.WireLimits.BULK_ON_READY_THRESHOLD_BYTES);
            client.setOnCancelHandler(() -> {
                ended = true;
                cancelCalls("client cancelled the get");
            });
            client.setOnReadyHandler(() -> {
                if (readWaiting && !ended) {
                    readWaiting = false;
                    read.request(1);
                }
            });
            stat(id, false).whenCompleteAsync((stat, failure) -> {
                if (ended) {
                    return;
                }
                if (failure == null && stat.getSummary().getComplete()) {
                    sendHeader(stat.getSummary());
                    if (!ended) {
                        startRead(false);
                    }
                } else if (failure == null || statusOf(failure).getCode() == Status.Code.NOT_FOUND) {
                    download(failure == null ? stat.getSummary() : null);
                } else {
                    end(statusOf(failure));
                }
            }, loop);
        }

        /** Not held complete: find providers, then Fetch from them while reading what arrives. */
        private void download(ContentSummary held) {
            findProviders(id, GET_PROVIDERS).whenCompleteAsync((found, failure) -> {
                if (ended) {
                    return;
                }
                if (failure != null) {
                    end(statusOf(failure));
                } else if (found.getProvidersCount() == 0) {
                    end(held == null
                            ? Status.NOT_FOUND.withDescription("content " + id + " is not on this node and the DHT "
                                    + "knows no provider of it; check the ID, or put the content on a node first")
                            : Status.UNAVAILABLE.withDescription("content " + id + " is incomplete here ("
                                    + held.getPiecesHeld() + " of " + held.getPieceCount() + " pieces) and the DHT "
                                    + "knows no provider of it now; the pieces are kept, retry later to resume"));
                } else {
                    startFetch(found.getProvidersList(), held);
                }
            }, loop);
        }

        private void startFetch(java.util.List<SignedPeerRecord> providers, ContentSummary held) {
            FetchRequest.Builder fetchRequest = FetchRequest.newBuilder()
                    .setContentId(dev.p2psuite.proto.common.v1.ContentId.newBuilder()
                            .setValue(ByteString.copyFrom(id.bytes())))
                    .addAllProviders(providers)
                    .setInOrder(true); // the client reads as pieces arrive: earliest first keeps its stream moving
            if (request.hasRange()) {
                fetchRequest.setRange(request.getRange());
            }
            StorageInternalGrpc.newStub(services.storage()).withExecutor(loop).fetch(fetchRequest.build(),
                    new ClientResponseObserver<FetchRequest, FetchResponse>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<FetchRequest> call) {
                            fetch = call;
                        }

                        @Override
                        public void onNext(FetchResponse progress) {
                            if (ended) {
                                return;
                            }
                            if (!headerSent && progress.getState() != FetchState.FETCH_STATE_MANIFEST) {
                                // The download is registered now, so a waiting read can attach to it.
                                ContentSummary summary = progress.hasManifest()
                                        ? summaryOf(progress) : held;
                                if (summary == null) {
                                    end(Status.INTERNAL.withDescription("storage-service sent no manifest for " + id));
                                    return;
                                }
                                sendHeader(summary);
                                if (ended) {
                                    return;
                                }
                                startRead(true);
                                if (!request.hasRange()) {
                                    joinSwarm();
                                }
                            }
                            if (request.getProgress() && headerSent) { // the header comes first
                                client.onNext(GetContentResponse.newBuilder().setProgress(Progress.newBuilder()
                                        .setBytesDone(progress.getBytesDone()).setBytesTotal(progress.getBytesTotal())
                                        .setPiecesDone(progress.getPiecesDone())
                                        .setPiecesTotal(progress.getPiecesTotal())
                                        .setPeers(progress.getPeersActive())
                                        .setRateBytesPerS(progress.getRateBytesPerS())).build());
                            }
                            if (progress.getState() == FetchState.FETCH_STATE_COMPLETE && !request.hasRange()) {
                                provide(id); // a node that holds the whole content serves it too
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            stopProviderRefresh();
                            end(statusOf(t)); // NOT_FOUND / UNAVAILABLE say what happened
                        }

                        @Override
                        public void onCompleted() {
                            fetch = null;
                            stopProviderRefresh();
                        }
                    });
        }

        /**
         * BEP 3 swarming: a node downloading the whole content serves the pieces it already holds (storage-service
         * answers PiecePeer from what is verified), so it announces itself as a provider as soon as the download
         * runs rather than when it completes, and asks the DHT again every {@code provider-refresh-interval} for
         * providers that joined since; a Fetch of a content already downloading adds its providers to the running
         * download (storage-service Fetches), here a manifest-only one.
         */
        private void joinSwarm() {
            provide(id);
            long every = providerRefreshInterval.toMillis();
            providerRefresh = retries.scheduleWithFixedDelay(() -> findProviders(id, GET_PROVIDERS)
                    .thenCompose(found -> found.getProvidersCount() == 0 ? CompletableFuture.completedFuture(null)
                            : fetchManifest(id, found.getProvidersList()))
                    .exceptionally(e -> {
                        LOG.debugf("refreshing the providers of %s failed: %s", id, e.getMessage());
                        return null;
                    }), every, every, TimeUnit.MILLISECONDS);
        }

        private void stopProviderRefresh() {
            if (providerRefresh != null) {
                providerRefresh.cancel(false);
            }
        }

        private ContentSummary summaryOf(FetchResponse progress) {
            var m = progress.getManifest();
            return ContentSummary.newBuilder().setMetadata(m.getMetadata()).setSizeBytes(m.getSizeBytes())
                    .setPieceSize(m.getPieceSize()).setPieceCount(m.getPieceHashesCount())
                    .setPiecesHeld(request.hasRange() ? 0 : progress.getPiecesDone())
                    .setComplete(!request.hasRange() && progress.getPiecesDone() == m.getPieceHashesCount())
                    .setAddedUnixMs(System.currentTimeMillis()).build();
        }

        private void sendHeader(ContentSummary summary) {
            long size = summary.getSizeBytes();
            long offset = request.hasRange() ? request.getRange().getOffset() : 0;
            long length = request.hasRange() ? request.getRange().getLength() : 0;
            if (Long.compareUnsigned(offset, size) >= 0 && !(size == 0 && offset == 0)) {
                end(Status.OUT_OF_RANGE.withDescription("range starts at byte " + Long.toUnsignedString(offset)
                        + " but content " + id + " has " + size + " bytes"));
                return;
            }
            long sent = length == 0 || Long.compareUnsigned(length, size - offset) > 0 ? size - offset : length;
            headerSent = true;
            client.onNext(GetContentResponse.newBuilder().setHeader(GetContentHeader.newBuilder()
                    .setContent(info(summary.toBuilder()
                            .setContentId(dev.p2psuite.proto.common.v1.ContentId.newBuilder()
                                    .setValue(ByteString.copyFrom(id.bytes())))
                            .build()))
                    .setOffset(offset).setLength(sent)).build());
        }

        private void startRead(boolean waitForFetch) {
            ReadContentRequest.Builder readRequest = ReadContentRequest.newBuilder()
                    .setContentId(dev.p2psuite.proto.common.v1.ContentId.newBuilder()
                            .setValue(ByteString.copyFrom(id.bytes())))
                    .setWaitForFetch(waitForFetch);
            if (request.hasRange()) {
                readRequest.setRange(request.getRange());
            }
            ClientCall<ReadContentRequest, java.io.InputStream> call = services.storageOnThisThread().newCall(
                    RawContentMethods.READ_CONTENT, io.grpc.CallOptions.DEFAULT.withExecutor(loop));
            io.grpc.stub.ClientCalls.asyncServerStreamingCall(call, readRequest.build(),
                    new ClientResponseObserver<ReadContentRequest, java.io.InputStream>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<ReadContentRequest> call) {
                            read = call;
                            call.disableAutoRequestWithInitial(1);
                        }

                        @Override
                        @SuppressWarnings({"unchecked", "rawtypes"})
                        public void onNext(java.io.InputStream data) {
                            // data holds the transport's buffers until closed: sent, it is closed by the transport.
                            if (ended || client.isCancelled()) {
                                RawMessages.closeQuietly(data);
                                return;
                            }
                            if (rawChunks) {
                                // ReadContentResponse and Chunk match field for field: wrap, do not re-encode.
                                RawContentMethods.RawChunk chunk = new RawContentMethods.RawChunk(data);
                                try {
                                    ((StreamObserver) client).onNext(chunk);
                                } catch (RuntimeException e) {
                                    chunk.close();
                                    throw e;
                                }
                            } else {
                                ReadContentResponse chunk;
                                try {
                                    chunk = ReadContentResponse.parseFrom(data);
                                } catch (java.io.IOException e) {
                                    end(Status.INTERNAL.withDescription("storage-service sent a bad chunk: " + e));
                                    return;
                                } finally {
                                    RawMessages.closeQuietly(data);
                                }
                                client.onNext(GetContentResponse.newBuilder().setChunk(Chunk.newBuilder()
                                        .setOffset(chunk.getOffset()).setData(chunk.getData())).build());
                            }
                            if (client.isReady()) {
                                read.request(1);
                            } else {
                                readWaiting = true;
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            // A Fetch failure explains more than the read it starves; let it speak first.
                            if (fetch != null && statusOf(t).getCode() == Status.Code.FAILED_PRECONDITION) {
                                return;
                            }
                            end(statusOf(t));
                        }

                        @Override
                        public void onCompleted() {
                            read = null;
                            end(Status.OK);
                        }
                    });
        }

        private void end(Status status) {
            if (ended) {
                return;
            }
            ended = true;
            if (status.isOk()) {
                client.onCompleted();
                // A range get needs nothing more; a whole-content Fetch ends by itself right after its last piece.
                if (request.hasRange()) {
                    cancelCalls("range served");
                }
            } else {
                cancelCalls(status.getDescription());
                client.onError(status.asRuntimeException());
            }
        }

        private void cancelCalls(String why) {
            stopProviderRefresh();
            if (fetch != null) {
                fetch.cancel(why, null);
            }
            if (read != null) {
                read.cancel(why, null);
            }
        }
    }

    // ---- Stat, ListContent, DeleteContent, FindProviders ------------------------------------------------------

    /** Describes a content: held here, or from a provider's manifest (fetched and kept, no pieces). */
    void stat(StatRequest request, StreamObserver<StatResponse> responses) {
        ContentId id = contentIdOrRefuse(request.getContentId(), responses);
        if (id == null) {
            return;
        }
        relay(responses, stat(id, request.getIncludeManifest()).handle((local, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture(toApi(local, true));
            }
            if (statusOf(failure).getCode() != Status.Code.NOT_FOUND) {
                return CompletableFuture.<StatResponse>failedFuture(failure);
            }
            return findProviders(id, GET_PROVIDERS).thenCompose(found -> {
                if (found.getProvidersCount() == 0) {
                    throw Status.NOT_FOUND.withDescription("content " + id + " is not on this node and the DHT knows "
                            + "no provider of it").asRuntimeException();
                }
                return fetchManifest(id, found.getProvidersList());
            }).thenCompose(v -> stat(id, request.getIncludeManifest())).thenApply(remote -> toApi(remote, false));
        }).thenCompose(Function.identity()), Function.identity());
    }

    private static StatResponse toApi(dev.p2psuite.proto.storage.v1.StatResponse s, boolean local) {
        StatResponse.Builder out = StatResponse.newBuilder().setContent(info(s.getSummary())).setLocal(local);
        if (s.hasManifest()) {
            out.setManifest(s.getManifest());
        }
        return out.build();
    }

    /** Stores a provider's manifest (verified against the ID by storage-service) without any piece. */
    private CompletableFuture<Void> fetchManifest(ContentId id, java.util.List<SignedPeerRecord> providers) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        StorageInternalGrpc.newStub(services.storage()).withDeadlineAfter(InternalCalls.DHT_CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .fetch(FetchRequest.newBuilder().setContentId(proto(id)).addAllProviders(providers)
                        .setManifestOnly(true).build(), new StreamObserver<>() {
                    @Override
                    public void onNext(FetchResponse value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        return done;
    }

    void list(ListContentRequest request, StreamObserver<ListContentResponse> responses) {
        relay(responses, GrpcFutures.unary(services.storage(), StorageInternalGrpc.getListContentMethod(), storageCall(),
                dev.p2psuite.proto.storage.v1.ListContentRequest.newBuilder().setPageSize(request.getPageSize())
                        .setPageToken(request.getPageToken()).build()), page -> {
                    ListContentResponse.Builder out = ListContentResponse.newBuilder()
                            .setNextPageToken(page.getNextPageToken());
                    page.getItemsList().forEach(s -> out.addItems(info(s)));
                    return out.build();
                });
    }

    /** Forgets a content here and stops announcing it. */
    void delete(DeleteContentRequest request, StreamObserver<DeleteContentResponse> responses) {
        ContentId id = contentIdOrRefuse(request.getContentId(), responses);
        if (id == null) {
            return;
        }
        relay(responses, GrpcFutures.unary(services.storage(), StorageInternalGrpc.getDeleteContentMethod(),
                storageCall(), dev.p2psuite.proto.storage.v1.DeleteContentRequest.newBuilder()
                        .setContentId(proto(id)).build())
                .thenCompose(deleted -> GrpcFutures.unary(services.dht(), DhtInternalGrpc.getUnprovideMethod(), dhtCall(),
                                UnprovideRequest.newBuilder().setKey(key(id)).build())
                        .handle((v, failure) -> {
                            if (failure != null) { // the announcement expires by its TTL anyway
                                LOG.warnf("could not stop providing %s: %s", id, failure.getMessage());
                            }
                            return DeleteContentResponse.newBuilder().setBytesFreed(deleted.getBytesFreed()).build();
                        })), Function.identity());
    }

    void findProviders(FindProvidersRequest request, StreamObserver<FindProvidersResponse> responses) {
        ContentId id = contentIdOrRefuse(request.getContentId(), responses);
        if (id == null) {
            return;
        }
        relay(responses, findProviders(id, request.getLimit()), found -> {
            FindProvidersResponse.Builder out = FindProvidersResponse.newBuilder().setSelfProvides(found.getSelfProvides());
            for (SignedPeerRecord r : found.getProvidersList()) {
                out.addProviders(PeerInfo.newBuilder()
                        .setNodeId(HexFormat.of().formatHex(r.getRecord().getNodeId().toByteArray()))
                        .setRecord(r).setPath(ConnectionPath.CONNECTION_PATH_NONE));
            }
            return out.build();
        });
    }

    // ---- calls to the node's services ---------------------------------------------------------------------------

    private CompletableFuture<dev.p2psuite.proto.storage.v1.StatResponse> stat(ContentId id, boolean manifest) {
        return GrpcFutures.unary(services.storage(), StorageInternalGrpc.getStatMethod(), storageCall(),
                dev.p2psuite.proto.storage.v1.StatRequest.newBuilder().setContentId(proto(id))
                        .setIncludeManifest(manifest).build());
    }

    private CompletableFuture<dev.p2psuite.proto.dht.v1.FindProvidersResponse> findProviders(ContentId id, int limit) {
        return GrpcFutures.unary(services.dht(), DhtInternalGrpc.getFindProvidersMethod(), dhtCall(),
                dev.p2psuite.proto.dht.v1.FindProvidersRequest.newBuilder().setKey(key(id)).setLimit(limit).build());
    }

    /**
     * Announces this node as a provider; dht-service keeps re-announcing (and remembers it across restarts). A
     * failed announcement (DHT not joined yet, service restarting) is retried with backoff; completes with the
     * number of nodes that took the first announcement (0 if it failed).
     */
    CompletableFuture<Integer> provide(ContentId id) {
        return provide(id, PROVIDE_RETRY_FIRST_MS);
    }

    private CompletableFuture<Integer> provide(ContentId id, long retryMs) {
        return GrpcFutures.unary(services.dht(), DhtInternalGrpc.getProvideMethod(), dhtCall(),
                        ProvideRequest.newBuilder().setKey(key(id)).build())
                .handle((announced, failure) -> {
                    if (failure == null) {
                        return announced.getAnnouncedCount();
                    }
                    LOG.warnf("announcing %s as provided failed (%s); retrying in %d s", id,
                            statusOf(failure).getDescription(), retryMs / 1000);
                    retries.schedule(() -> provide(id, Math.min(retryMs * 2, PROVIDE_RETRY_MAX_MS)), retryMs,
                            TimeUnit.MILLISECONDS);
                    return 0;
                });
    }

    // ---- mapping ------------------------------------------------------------------------------------------------

    static ContentInfo info(ContentSummary s) {
        return ContentInfo.newBuilder()
                .setContentId(ContentId.of(s.getContentId().getValue().toByteArray()).toString())
                .setMetadata(s.getMetadata()).setSizeBytes(s.getSizeBytes()).setPieceSize(s.getPieceSize())
                .setPieceCount(s.getPieceCount()).setPiecesHeld(s.getPiecesHeld()).setComplete(s.getComplete())
                .setAddedUnixMs(s.getAddedUnixMs()).build();
    }

    private static dev.p2psuite.proto.common.v1.ContentId proto(ContentId id) {
        return dev.p2psuite.proto.common.v1.ContentId.newBuilder().setValue(ByteString.copyFrom(id.bytes())).build();
    }

    private static ByteString key(ContentId id) {
        NodeId key = id.dhtKey();
        return ByteString.copyFrom(key.bytes());
    }

    /** The ID a client gave, or null after answering INVALID_ARGUMENT with what is wrong with it. */
    static ContentId contentIdOrRefuse(String text, StreamObserver<?> responses) {
        try {
            return ContentId.parse(text);
        } catch (IllegalArgumentException e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("content_id: " + e.getMessage())
                    .asRuntimeException());
            return null;
        }
    }
}
