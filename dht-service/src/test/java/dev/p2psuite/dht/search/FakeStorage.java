package dev.p2psuite.dht.search;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.common.v1.ContentId;
import dev.p2psuite.proto.common.v1.ContentMetadata;
import dev.p2psuite.proto.storage.v1.ContentSummary;
import dev.p2psuite.proto.storage.v1.ListContentRequest;
import dev.p2psuite.proto.storage.v1.ListContentResponse;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A storage-service that only lists contents (StorageInternal/ListContent, paged by index), on loopback. */
final class FakeStorage implements AutoCloseable {

    final List<ContentSummary> contents = new CopyOnWriteArrayList<>();
    final AtomicInteger calls = new AtomicInteger();
    final Server server;

    FakeStorage(int port) throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .addService(new StorageInternalGrpc.StorageInternalImplBase() {
                    @Override
                    public void listContent(ListContentRequest request, StreamObserver<ListContentResponse> responses) {
                        calls.incrementAndGet();
                        int size = request.getPageSize() == 0 ? 100 : request.getPageSize();
                        if (size > 1_000) {
                            responses.onError(Status.INVALID_ARGUMENT.withDescription("page_size").asRuntimeException());
                            return;
                        }
                        int from = request.getPageToken().isEmpty() ? 0 : Integer.parseInt(request.getPageToken());
                        int to = Math.min(contents.size(), from + size);
                        responses.onNext(ListContentResponse.newBuilder()
                                .addAllItems(contents.subList(from, to))
                                .setNextPageToken(to < contents.size() ? Integer.toString(to) : "")
                                .build());
                        responses.onCompleted();
                    }
                })
                .build().start();
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    static ContentSummary summary(IndexedContent c, boolean complete) {
        return ContentSummary.newBuilder()
                .setContentId(ContentId.newBuilder().setValue(ByteString.copyFrom(c.contentId())))
                .setMetadata(ContentMetadata.newBuilder().setName(c.name()).setMediaType(c.mediaType())
                        .addAllTags(c.tags()))
                .setSizeBytes(c.sizeBytes())
                .setPieceSize(262_144)
                .setPieceCount(1)
                .setPiecesHeld(complete ? 1 : 0)
                .setComplete(complete)
                .build();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
