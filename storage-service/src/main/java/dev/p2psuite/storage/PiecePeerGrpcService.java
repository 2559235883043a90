package dev.p2psuite.storage;

import dev.p2psuite.grpc.CallThread;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.storage.v1.Choked;
import dev.p2psuite.proto.storage.v1.GetHaveRequest;
import dev.p2psuite.proto.storage.v1.GetHaveResponse;
import dev.p2psuite.proto.storage.v1.GetManifestRequest;
import dev.p2psuite.proto.storage.v1.GetManifestResponse;
import dev.p2psuite.proto.storage.v1.Piece;
import dev.p2psuite.proto.storage.v1.PieceNotHeld;
import dev.p2psuite.proto.storage.v1.PiecePeerGrpc;
import dev.p2psuite.proto.storage.v1.PieceResponse;
import dev.p2psuite.proto.storage.v1.RequestPiecesRequest;
import dev.p2psuite.proto.storage.v1.WatchChokeRequest;
import dev.p2psuite.proto.storage.v1.WatchChokeResponse;
import dev.p2psuite.storage.core.Bitfield;
import dev.p2psuite.storage.core.Choker;
import dev.p2psuite.storage.core.ContentId;
import dev.p2psuite.storage.store.StoredContent;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Node-to-node piece exchange (piece_peer.proto), reached through the node's gateway, which authenticated the
 * caller ({@link PeerMetadata#AUTHENTICATED_PEER}, set by {@link PeerIdentityInterceptor}). Serving follows the
 * tit-for-tat {@link Exchange}: a choked caller gets {@code Choked{retry_after_ms}} answers, a banned one
 * PERMISSION_DENIED.
 */
@GrpcService
public class PiecePeerGrpcService implements BindableService {

    /** Piece indexes one RequestPieces call may carry (piece_peer.proto). */
    static final int MAX_INDEXES_PER_REQUEST = 64;

    private final StorageRuntime runtime;

    public PiecePeerGrpcService(StorageRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public ServerServiceDefinition bindService() {
        return PiecePeerGrpc.bindService(new Handlers(runtime));
    }

    static final class Handlers implements PiecePeerGrpc.AsyncService {
        private final StorageRuntime runtime;
        private final ContentStore contents;
        private final Exchange exchange;
        private final boolean servePeers;

        Handlers(StorageRuntime runtime) {
            this.runtime = runtime;
            this.contents = runtime.contents();
            this.exchange = runtime.exchange();
            this.servePeers = runtime.config().storage().exchange().servePeers();
        }

        @Override
        public void getManifest(GetManifestRequest request, StreamObserver<GetManifestResponse> responses) {
            NodeId peer = caller();
            Replies.unary(responses, runtime.io(), () -> {
                ContentId id = StorageWire.contentId(request.getContentId(), request.hasContentId(), "content_id");
                refuseBanned(peer);
                return GetManifestResponse.newBuilder().setManifest(StorageWire.toProto(contents.require(id))).build();
            });
        }

        @Override
        public void getHave(GetHaveRequest request, StreamObserver<GetHaveResponse> responses) {
            NodeId peer = caller();
            Replies.unary(responses, runtime.io(), () -> {
                ContentId id = StorageWire.contentId(request.getContentId(), request.hasContentId(), "content_id");
                refuseBanned(peer);
                Bitfield held = contents.held(contents.require(id));
                return GetHaveResponse.newBuilder()
                        .setPieceCount(held.pieceCount())
                        .setBitfield(ByteString.copyFrom(held.toBytes()))
                        .setPiecesHeld(held.cardinality())
                        .setChokingCaller(peer == null || !exchange.choker().isUnchoked(peer))
                        .build();
            });
        }

        @Override
        public void requestPieces(RequestPiecesRequest request, StreamObserver<PieceResponse> responses) {
            ServerCallStreamObserver<PieceResponse> call = (ServerCallStreamObserver<PieceResponse>) responses;
            NodeId peer;
            ContentId id;
            int[] indexes;
            try {
                peer = requireCaller();
                id = StorageWire.contentId(request.getContentId(), request.hasContentId(), "content_id");
                List<Integer> wanted = request.getPieceIndexesList();
                if (wanted.isEmpty() || wanted.size() > MAX_INDEXES_PER_REQUEST) {
                    throw StorageException.invalid("piece_indexes must list 1.." + MAX_INDEXES_PER_REQUEST
                            + " pieces, got " + wanted.size());
                }
                Set<Integer> distinct = new HashSet<>();
                indexes = new int[wanted.size()];
                for (int i = 0; i < indexes.length; i++) {
                    indexes[i] = wanted.get(i);
                    if (!distinct.add(indexes[i])) {
                        throw StorageException.invalid("piece index " + Integer.toUnsignedString(indexes[i])
                                + " is requested twice");
                    }
                }
                refuseUploads();
                refuseBanned(peer);
            } catch (RuntimeException e) {
                responses.onError(StorageStatus.exception(e));
                return;
            }
            FlowSender.start(call, CallThread.current(runtime.io()), runtime.io(), runtime.timer(),
                    new PieceSource(peer, id, indexes, request.getRequesterBitfield()));
        }

        /** Answers each requested index in order: the piece (paced by the upload limit), Choked or PieceNotHeld. */
        private final class PieceSource implements FlowSender.Source<PieceResponse> {
            final NodeId peer;
            final ContentId id;
            final int[] indexes;
            final ByteString requesterBitfield;
            StoredContent content;
            int next;

            PieceSource(NodeId peer, ContentId id, int[] indexes, ByteString requesterBitfield) {
                this.peer = peer;
                this.id = id;
                this.indexes = indexes;
                this.requesterBitfield = requesterBitfield;
            }

            @Override
            public FlowSender.Next<PieceResponse> next() {
                if (content == null) {
                    content = contents.require(id);
                    int count = content.manifest().pieceCount();
                    for (int index : indexes) {
                        if (index < 0 || index >= count) {
                            throw StorageException.invalid("piece index " + Integer.toUnsignedString(index)
                                    + " is beyond the last piece of " + id + " (it has " + count + " pieces, 0.."
                                    + (count - 1) + ")");
                        }
                    }
                    if (!requesterBitfield.isEmpty()) {
                        try {
                            // What the requester holds shows which of our pieces it got from others (BEP 16's signal).
                            exchange.onPeerHave(peer, id, Bitfield.fromBytes(count, requesterBitfield.toByteArray()));
                        } catch (IllegalArgumentException malformed) {
                            // Optional information (piece_peer.proto): ignored, the request is served as without it.
                        }
                    }
                }
                if (next >= indexes.length) {
                    return null;
                }
                int index = indexes[next++];
                PieceResponse.Builder answer = PieceResponse.newBuilder().setIndex(index);
                // Decided per piece, not per call: BEP 3 drops a peer's pending requests when it is choked, so a call
                // of up to 64 pieces does not keep a slot's bandwidth after the rechoke took the slot away.
                Choker.RequestDecision decision = exchange.onRequest(peer);
                if (!decision.serve()) {
                    // BEP 3: a choked peer's requests are not served; say when to ask again, not an error.
                    return FlowSender.Next.now(answer.setChoked(Choked.newBuilder()
                            .setRetryAfterMs((int) decision.retryAfterMillis())).build());
                }
                byte[] data = contents.piece(content, index);
                if (data == null) {
                    return FlowSender.Next.now(answer.setNotHeld(PieceNotHeld.getDefaultInstance()).build());
                }
                exchange.recordSent(peer, id, content.manifest().pieceCount(), index, data.length);
                Duration wait = exchange.upload().reserve(data.length, exchange.now());
                PieceResponse piece = answer.setPiece(Piece.newBuilder()
                        .setData(UnsafeByteOperations.unsafeWrap(data))).build(); // stored pieces are never modified
                return FlowSender.Next.delayed(piece, wait.toNanos());
            }
        }

        @Override
        public void watchChoke(WatchChokeRequest request, StreamObserver<WatchChokeResponse> responses) {
            ServerCallStreamObserver<WatchChokeResponse> call = (ServerCallStreamObserver<WatchChokeResponse>) responses;
            Executor callExecutor = CallThread.current(runtime.io());
            NodeId peer;
            ContentId id;
            try {
                peer = requireCaller();
                id = StorageWire.contentId(request.getContentId(), request.hasContentId(), "content_id");
                refuseUploads();
                refuseBanned(peer);
            } catch (RuntimeException e) {
                responses.onError(StorageStatus.exception(e));
                return;
            }
            Exchange.Watch[] watch = new Exchange.Watch[1];
            boolean[] cancelled = new boolean[1];
            call.setOnCancelHandler(() -> callExecutor.execute(() -> {
                cancelled[0] = true;
                if (watch[0] != null) {
                    watch[0].closed = true;
                    exchange.unwatch(watch[0]);
                }
            }));
            runtime.io().execute(() -> {
                Bitfield held;
                try {
                    held = contents.held(contents.require(id));
                } catch (RuntimeException e) {
                    callExecutor.execute(() -> responses.onError(StorageStatus.exception(e)));
                    return;
                }
                callExecutor.execute(() -> {
                    if (!cancelled[0]) {
                        watch[0] = exchange.watch(peer, id, held, call, callExecutor);
                    }
                });
            });
        }

        /** A node set not to upload (p2p.storage.exchange.serve-peers=false) says so instead of choking forever. */
        private void refuseUploads() {
            if (!servePeers) {
                throw new StorageException(StorageException.Kind.PERMISSION_DENIED, "this node does not upload pieces"
                        + " to other nodes (p2p.storage.exchange.serve-peers=false); download from another provider");
            }
        }

        private void refuseBanned(NodeId peer) {
            if (peer != null && exchange.penalties().isBanned(peer)) {
                throw new StorageException(StorageException.Kind.PERMISSION_DENIED, "node " + peer.toHex()
                        + " is banned here: it sent " + exchange.penalties().badPieces(peer)
                        + " pieces that failed verification");
            }
        }

        private static NodeId caller() {
            return PeerMetadata.AUTHENTICATED_PEER.get();
        }

        private static NodeId requireCaller() {
            NodeId peer = caller();
            if (peer == null) {
                throw new StorageException(StorageException.Kind.UNAUTHENTICATED, "peer RPCs reach storage-service"
                        + " only through the node's gateway, which authenticates the caller");
            }
            return peer;
        }
    }
}
