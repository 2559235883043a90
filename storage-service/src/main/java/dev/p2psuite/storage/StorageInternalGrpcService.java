package dev.p2psuite.storage;

import dev.p2psuite.grpc.CallThread;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.p2psuite.grpc.ByteStrings;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.common.v1.ContentMetadata;
import dev.p2psuite.proto.storage.v1.DeleteContentRequest;
import dev.p2psuite.proto.storage.v1.DeleteContentResponse;
import dev.p2psuite.proto.storage.v1.FetchRequest;
import dev.p2psuite.proto.storage.v1.FetchResponse;
import dev.p2psuite.proto.storage.v1.ListContentRequest;
import dev.p2psuite.proto.storage.v1.ListContentResponse;
import dev.p2psuite.proto.storage.v1.PeerTransfer;
import dev.p2psuite.proto.storage.v1.PutContentRequest;
import dev.p2psuite.proto.storage.v1.PutContentResponse;
import dev.p2psuite.proto.storage.v1.ReadContentRequest;
import dev.p2psuite.proto.storage.v1.ReadContentResponse;
import dev.p2psuite.proto.storage.v1.StatRequest;
import dev.p2psuite.proto.storage.v1.StatResponse;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import dev.p2psuite.proto.storage.v1.TransferStatsRequest;
import dev.p2psuite.proto.storage.v1.TransferStatsResponse;
import dev.p2psuite.storage.core.Bitfield;
import dev.p2psuite.storage.core.Choker;
import dev.p2psuite.storage.core.ContentId;
import dev.p2psuite.storage.core.Manifest;
import dev.p2psuite.storage.store.StoredContent;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * What the node's gateway asks of its storage (storage_internal.proto). Handlers run on Vert.x event loops, so
 * store I/O goes to the runtime's I/O pool and answers hop back to the call's context.
 */
@GrpcService
public class StorageInternalGrpcService implements BindableService {

    /** PutContent messages asked for ahead of the one being hashed (each at most {@link #MAX_PUT_CHUNK_BYTES}). */
    static final int PUT_PREFETCH = 3;
    /** Largest chunk of a PutContent message (storage_internal.proto). */
    static final int MAX_PUT_CHUNK_BYTES = 1_048_000;
    /** ListContent page size when 0 is asked, and the most allowed. */
    static final int DEFAULT_PAGE_SIZE = 100;
    static final int MAX_PAGE_SIZE = 1_000;

    private final StorageRuntime runtime;

    public StorageInternalGrpcService(StorageRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public ServerServiceDefinition bindService() {
        return StorageInternalGrpc.bindService(new Handlers(runtime));
    }

    static final class Handlers implements StorageInternalGrpc.AsyncService {
        private final StorageRuntime runtime;
        private final ContentStore contents;

        Handlers(StorageRuntime runtime) {
            this.runtime = runtime;
            this.contents = runtime.contents();
        }

        // ---- PutContent -------------------------------------------------------------------------------------------

        @Override
        public StreamObserver<PutContentRequest> putContent(StreamObserver<PutContentResponse> responses) {
            ServerCallStreamObserver<PutContentResponse> call = (ServerCallStreamObserver<PutContentResponse>) responses;
            // Ask for PUT_PREFETCH messages, then one more each time one is hashed and handed to the store: the
            // client is held back by HTTP/2 flow control instead of this service buffering its content (at most
            // PUT_PREFETCH chunks wait here), while the next chunk is already parsed when the previous is hashed.
            call.disableAutoRequest();
            Put put = new Put(call, CallThread.current(runtime.io()), new CallThread.Serial(runtime.io()));
            call.setOnCancelHandler(() -> put.serial.execute(put::cancelled));
            call.request(PUT_PREFETCH);
            return put;
        }

        private final class Put implements StreamObserver<PutContentRequest> {
            final ServerCallStreamObserver<PutContentResponse> call;
            final Executor callExecutor;
            final CallThread.Serial serial;
            // Touched only on serial.
            ContentStore.PutSession session;
            boolean done;

            Put(ServerCallStreamObserver<PutContentResponse> call, Executor callExecutor, CallThread.Serial serial) {
                this.call = call;
                this.callExecutor = callExecutor;
                this.serial = serial;
            }

            @Override
            public void onNext(PutContentRequest request) {
                serial.execute(() -> {
                    if (done) {
                        return;
                    }
                    try {
                        handle(request);
                    } catch (Throwable e) {
                        fail(e);
                        return;
                    }
                    callExecutor.execute(() -> call.request(1));
                });
            }

            private void handle(PutContentRequest request) {
                switch (request.getPartCase()) {
                    case START -> {
                        if (session != null) {
                            throw StorageException.invalid("`start` may be sent only once, as the first PutContent"
                                    + " message");
                        }
                        ContentMetadata metadata = StorageWire.normalize(request.getStart().getMetadata());
                        session = contents.beginPut(metadata.toByteArray(), request.getStart().getExpectedSizeBytes());
                    }
                    case CHUNK -> {
                        if (session == null) {
                            throw StorageException.invalid("the first PutContent message must be `start` (metadata),"
                                    + " then `chunk`s");
                        }
                        ByteString chunk = request.getChunk();
                        if (chunk.isEmpty() || chunk.size() > MAX_PUT_CHUNK_BYTES) {
                            throw StorageException.invalid("a chunk must carry 1.." + MAX_PUT_CHUNK_BYTES
                                    + " bytes, got " + chunk.size());
                        }
                        if (chunk.size() == Manifest.PIECE_SIZE) {
                            // Parsed into an array of its own: store it as the piece rather than copy it again.
                            session.writeOwned(ByteStrings.exactArray(chunk));
                        } else {
                            session.write(chunk.asReadOnlyByteBuffer());
                        }
                    }
                    default -> throw StorageException.invalid(session == null
                            ? "the first PutContent message must be `start` (metadata), then `chunk`s"
                            : "a PutContent message after `start` must be a `chunk`");
                }
            }

            @Override
            public void onError(Throwable t) {
                serial.execute(this::cancelled);
            }

            @Override
            public void onCompleted() {
                serial.execute(() -> {
                    if (done) {
                        return;
                    }
                    if (session == null) {
                        fail(StorageException.invalid("the PutContent stream ended without `start`"));
                        return;
                    }
                    ContentStore.PutResult result;
                    try {
                        result = session.finish();
                    } catch (Throwable e) {
                        fail(e);
                        return;
                    }
                    done = true;
                    PutContentResponse response = PutContentResponse.newBuilder()
                            .setContentId(StorageWire.toProto(result.content().contentId()))
                            .setManifest(StorageWire.toProto(result.content()))
                            .setAlreadyPresent(result.alreadyPresent())
                            .setPiecesStored(result.piecesStored())
                            .setPiecesDeduplicated(result.piecesDeduplicated())
                            .build();
                    callExecutor.execute(() -> {
                        call.onNext(response);
                        call.onCompleted();
                    });
                });
            }

            /** The client went away mid-stream: no manifest is stored (stored pieces may stay). */
            void cancelled() {
                if (!done) {
                    done = true;
                    if (session != null) {
                        session.abort();
                    }
                }
            }

            private void fail(Throwable e) {
                done = true;
                if (session != null) {
                    session.abort();
                }
                callExecutor.execute(() -> call.onError(StorageStatus.exception(e)));
            }
        }

        // ---- ReadContent ------------------------------------------------------------------------------------------

        @Override
        public void readContent(ReadContentRequest request, StreamObserver<ReadContentResponse> responses) {
            ServerCallStreamObserver<ReadContentResponse> call = (ServerCallStreamObserver<ReadContentResponse>) responses;
            ContentId id;
            try {
                id = StorageWire.contentId(request.getContentId(), request.hasContentId(), "content_id");
            } catch (RuntimeException e) {
                responses.onError(StorageStatus.exception(e));
                return;
            }
            FlowSender.start(call, CallThread.current(runtime.io()), runtime.io(), runtime.timer(),
                    new ReadSource(id, request));
        }

        /** Produces the chunks of a byte range, one piece read at a time. */
        private final class ReadSource implements FlowSender.Source<ReadContentResponse> {
            final ContentId id;
            final ReadContentRequest request;
            StoredContent content;
            long position;
            long end;
            int pieceIndex = -1;
            byte[] piece;

            ReadSource(ContentId id, ReadContentRequest request) {
                this.id = id;
                this.request = request;
            }

            @Override
            public FlowSender.Next<ReadContentResponse> next() {
                if (content == null) {
                    open();
                }
                if (position >= end) {
                    return null;
                }
                Manifest m = content.manifest();
                int index = m.pieceIndexAt(position);
                if (index != pieceIndex) {
                    piece = null;
                    if (request.getWaitForFetch()) {
                        runtime.fetches().readerAt(id, this, index);
                    }
                    byte[] data = contents.piece(content, index);
                    if (data == null && request.getWaitForFetch()) {
                        CompletableFuture<Void> arrival = runtime.fetches().awaitPiece(id, index);
                        if (arrival != null) {
                            return FlowSender.Next.waitFor(arrival);
                        }
                        // No download runs now: the last one may have stored this piece and ended since the read.
                        data = contents.piece(content, index);
                        if (data == null) {
                            throw new StorageException(StorageException.Kind.FAILED_PRECONDITION, "piece " + index
                                    + " of " + id + " is not held here and no Fetch of it runs");
                        }
                    }
                    if (data == null) {
                        throw new StorageException(StorageException.Kind.FAILED_PRECONDITION, "piece " + index
                                + " of " + id + " is not held here (" + contents.held(content).cardinality() + " of "
                                + m.pieceCount() + " pieces are); fetch the content first");
                    }
                    piece = data;
                    pieceIndex = index;
                }
                return FlowSender.Next.now(chunk(index));
            }

            @Override
            public ReadContentResponse nextWithoutBlocking() {
                if (content == null || position >= end) {
                    return null; // opening and ending go through next()
                }
                int index = content.manifest().pieceIndexAt(position);
                if (index != pieceIndex) {
                    byte[] data = contents.recentPiece(content, index);
                    if (data == null) {
                        return null;
                    }
                    if (request.getWaitForFetch()) {
                        runtime.fetches().readerAt(id, this, index);
                    }
                    piece = data;
                    pieceIndex = index;
                }
                return chunk(index);
            }

            @Override
            public void closed() {
                if (request.getWaitForFetch()) {
                    runtime.fetches().readerGone(id, this);
                }
            }

            /** The next chunk, from the current piece ({@code index}): at most the rest of it. */
            private ReadContentResponse chunk(int index) {
                int from = (int) (position - content.manifest().pieceOffset(index));
                int n = (int) Math.min(piece.length - from, end - position); // <= one piece = 262,144 bytes
                ReadContentResponse chunk = ReadContentResponse.newBuilder()
                        .setOffset(position)
                        .setData(UnsafeByteOperations.unsafeWrap(piece, from, n)) // stored pieces are never modified
                        .build();
                position += n;
                return chunk;
            }

            private void open() {
                content = contents.require(id);
                long size = content.manifest().sizeBytes();
                long offset = 0;
                long length = 0;
                if (request.hasRange()) {
                    offset = request.getRange().getOffset();
                    length = request.getRange().getLength();
                }
                if (offset < 0 || (offset >= size && !(size == 0 && offset == 0))) {
                    throw new StorageException(StorageException.Kind.OUT_OF_RANGE, "range starts at byte "
                            + Long.toUnsignedString(offset) + " but content " + id + " has " + size + " bytes");
                }
                position = offset;
                end = length == 0 || Long.compareUnsigned(length, size - offset) > 0 ? size : offset + length;
            }
        }

        // ---- Stat, ListContent, DeleteContent ---------------------------------------------------------------------

        @Override
        public void stat(StatRequest request, StreamObserver<StatResponse> responses) {
            Replies.unary(responses, runtime.io(), () -> {
                ContentId id = StorageWire.contentId(request.getContentId(), request.hasContentId(), "content_id");
                StoredContent c = contents.require(id);
                StatResponse.Builder b = StatResponse.newBuilder()
                        .setSummary(StorageWire.summary(c, contents.held(c), runtime.fetches().isFetching(id)));
                if (request.getIncludeManifest()) {
                    b.setManifest(StorageWire.toProto(c));
                }
                return b.build();
            });
        }

        @Override
        public void listContent(ListContentRequest request, StreamObserver<ListContentResponse> responses) {
            Replies.unary(responses, runtime.io(), () -> {
                int size = request.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : request.getPageSize();
                if (size < 0 || size > MAX_PAGE_SIZE) {
                    throw StorageException.invalid("page_size must be 0.." + MAX_PAGE_SIZE + ", got "
                            + Integer.toUnsignedString(request.getPageSize()));
                }
                ContentStore.Page page = contents.list(size, request.getPageToken());
                ListContentResponse.Builder b = ListContentResponse.newBuilder().setNextPageToken(page.nextToken());
                for (StoredContent c : page.items()) {
                    b.addItems(StorageWire.summary(c, contents.held(c), runtime.fetches().isFetching(c.contentId())));
                }
                return b.build();
            });
        }

        @Override
        public void deleteContent(DeleteContentRequest request, StreamObserver<DeleteContentResponse> responses) {
            Replies.unary(responses, runtime.io(), () -> {
                ContentId id = StorageWire.contentId(request.getContentId(), request.hasContentId(), "content_id");
                runtime.fetches().cancel(id);
                return DeleteContentResponse.newBuilder().setBytesFreed(contents.delete(id)).build();
            });
        }

        // ---- Fetch, TransferStats ---------------------------------------------------------------------------------

        @Override
        public void fetch(FetchRequest request, StreamObserver<FetchResponse> responses) {
            runtime.fetches().fetch(request, (ServerCallStreamObserver<FetchResponse>) responses,
                    CallThread.current(runtime.io()));
        }

        @Override
        public void transferStats(TransferStatsRequest request, StreamObserver<TransferStatsResponse> responses) {
            Exchange x = runtime.exchange();
            Instant now = x.now();
            Choker choker = x.choker();
            TransferStatsResponse.Builder b = TransferStatsResponse.newBuilder()
                    .setTotalBytesSent(x.totalSent())
                    .setTotalBytesReceived(x.totalReceived())
                    .setUploadLimitBytesPerS(x.upload().bytesPerSecond())
                    .setDownloadLimitBytesPerS(x.download().bytesPerSecond())
                    .setUnchokeSlots(choker.config().unchokeSlots())
                    .setSeedingOnly(choker.isSeeding());
            Set<NodeId> seen = new HashSet<>();
            for (Choker.PeerStats p : choker.stats(now)) {
                seen.add(p.peer());
                b.addPeers(peer(x, p.peer()).setBytesSent(p.bytesSent()).setBytesReceived(p.bytesReceived())
                        .setUploadRateBytesPerS(p.uploadRate()).setDownloadRateBytesPerS(p.downloadRate())
                        .setAmChoking(p.amChoking()).setOptimistic(p.optimistic()).setPeerInterested(p.interested())
                        .setLastActivityUnixMs(p.lastActivity().toEpochMilli()));
            }
            for (NodeId banned : x.penalties().banned()) {
                if (!seen.contains(banned)) {
                    b.addPeers(peer(x, banned).setAmChoking(true));
                }
            }
            responses.onNext(b.build());
            responses.onCompleted();
        }

        private static PeerTransfer.Builder peer(Exchange x, NodeId id) {
            return PeerTransfer.newBuilder()
                    .setNodeId(ByteString.copyFrom(id.bytes()))
                    .setPeerChoking(x.peerChoking(id))
                    .setBadPieces(x.penalties().badPieces(id))
                    .setBanned(x.penalties().isBanned(id));
        }
    }
}
