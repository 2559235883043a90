package dev.p2psuite.storage;

import static dev.p2psuite.storage.GrpcTestClient.put;
import static dev.p2psuite.storage.GrpcTestClient.random;
import static dev.p2psuite.storage.GrpcTestClient.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.common.v1.ByteRange;
import dev.p2psuite.proto.common.v1.ContentId;
import dev.p2psuite.proto.storage.v1.DeleteContentRequest;
import dev.p2psuite.proto.storage.v1.ListContentRequest;
import dev.p2psuite.proto.storage.v1.ListContentResponse;
import dev.p2psuite.proto.storage.v1.PutContentRequest;
import dev.p2psuite.proto.storage.v1.PutContentResponse;
import dev.p2psuite.proto.storage.v1.PutContentStart;
import dev.p2psuite.proto.storage.v1.ReadContentRequest;
import dev.p2psuite.proto.storage.v1.ReadContentResponse;
import dev.p2psuite.proto.storage.v1.StatRequest;
import dev.p2psuite.proto.storage.v1.StatResponse;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import dev.p2psuite.storage.core.Manifest;
import dev.p2psuite.storage.core.PieceHasher;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** StorageInternal over real gRPC against the service with its embedded Infinispan store. */
@QuarkusTest
@WithTestResource(TempDataDir.class)
class StorageInternalGrpcTest {

    static final int PIECE = Manifest.PIECE_SIZE;

    @Inject
    StorageRuntime runtime;

    ManagedChannel ch;

    @BeforeEach
    void open() {
        ch = GrpcTestClient.channel();
    }

    @AfterEach
    void close() {
        ch.shutdownNow();
    }

    static ReadContentRequest whole(ContentId id) {
        return ReadContentRequest.newBuilder().setContentId(id).build();
    }

    static ReadContentRequest range(ContentId id, long offset, long length) {
        return ReadContentRequest.newBuilder().setContentId(id)
                .setRange(ByteRange.newBuilder().setOffset(offset).setLength(length)).build();
    }

    static ContentId id(byte[] b) {
        return ContentId.newBuilder().setValue(ByteString.copyFrom(b)).build();
    }

    @Test
    void emptyOneByteOnePieceAndUnalignedMultiPieceContentsRoundTrip() {
        int[] sizes = {0, 1, PIECE, 3 * PIECE + 777};
        int[] chunks = {1000, 1000, PIECE, 100_003};
        for (int i = 0; i < sizes.length; i++) {
            byte[] content = random(sizes[i], 100 + i);
            PutContentResponse r = put(ch, content, chunks[i], "file-" + i);
            Manifest expected = PieceHasher.manifestOf(content);
            assertThat(r.getContentId().getValue().toByteArray()).isEqualTo(expected.contentId().bytes());
            assertThat(r.getManifest().getSizeBytes()).isEqualTo(sizes[i]);
            assertThat(r.getManifest().getPieceSize()).isEqualTo(PIECE);
            assertThat(r.getManifest().getPieceHashesCount()).isEqualTo(expected.pieceCount());
            assertThat(r.getManifest().getMetadata().getName()).isEqualTo("file-" + i);
            assertThat(r.getManifest().getMetadata().getTagsList()).containsExactly("test"); // stored lowercased
            assertThat(read(ch, whole(r.getContentId()))).as("content of %d bytes", sizes[i]).isEqualTo(content);
            StatResponse stat = GrpcTestClient.internal(ch).stat(StatRequest.newBuilder()
                    .setContentId(r.getContentId()).setIncludeManifest(true).build());
            assertThat(stat.getSummary().getComplete()).isTrue();
            assertThat(stat.getSummary().getPiecesHeld()).isEqualTo(expected.pieceCount());
            assertThat(stat.getSummary().getSizeBytes()).isEqualTo(sizes[i]);
            assertThat(stat.getManifest().getPieceHashesList()).isEqualTo(r.getManifest().getPieceHashesList());
        }
    }

    @Test
    void aByteRangeReadsExactlyThoseBytesInOrderedChunksOfAtMostOnePiece() {
        byte[] content = random(2 * PIECE + 5000, 7);
        ContentId id = put(ch, content, 65_536, "ranged").getContentId();
        assertThat(read(ch, range(id, 100, 0))).isEqualTo(java.util.Arrays.copyOfRange(content, 100, content.length));
        assertThat(read(ch, range(id, PIECE - 10, 20)))
                .isEqualTo(java.util.Arrays.copyOfRange(content, PIECE - 10, PIECE + 10));
        assertThat(read(ch, range(id, content.length - 1, 10_000_000)))
                .containsExactly(content[content.length - 1]); // past the end: truncated
    }

    @Test
    void aRangeStartingPastTheEndIsOutOfRange() {
        byte[] content = random(1000, 8);
        ContentId id = put(ch, content, 1000, "small").getContentId();
        assertThatThrownBy(() -> read(ch, range(id, 1000, 1)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
                    assertThat(e.getStatus().getDescription()).contains("1000 bytes");
                });
    }

    @Test
    void identicalContentPutTwiceStoresItsPiecesOnce() {
        byte[] content = random(3 * PIECE + 1, 9);
        PutContentResponse first = put(ch, content, PIECE, "a");
        PutContentResponse second = put(ch, content, 77_777, "b");
        assertThat(second.getContentId()).isEqualTo(first.getContentId());
        assertThat(first.getPiecesStored()).isEqualTo(4);
        assertThat(first.getAlreadyPresent()).isFalse();
        assertThat(second.getPiecesStored()).isZero();
        assertThat(second.getPiecesDeduplicated()).isEqualTo(4);
        assertThat(second.getAlreadyPresent()).isTrue();
        assertThat(second.getManifest().getMetadata().getName()).isEqualTo("b");
    }

    @Test
    void malformedContentIdsAreInvalidArgumentWithAMessage() {
        byte[] wrongCode = new byte[34];
        wrongCode[0] = 0x11;
        wrongCode[1] = 0x20;
        for (ContentId bad : new ContentId[] {id(new byte[0]), id(new byte[5]), id(wrongCode)}) {
            assertThatThrownBy(() -> GrpcTestClient.internal(ch).stat(StatRequest.newBuilder().setContentId(bad).build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).startsWith("content_id");
                    });
            assertThatThrownBy(() -> read(ch, whole(bad)))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        }
    }

    @Test
    void unknownContentIsNotFoundWithAMessage() {
        ContentId unknown = id(PieceHasher.manifestOf(random(10, 424242)).contentId().bytes());
        for (Runnable call : new Runnable[] {
                () -> GrpcTestClient.internal(ch).stat(StatRequest.newBuilder().setContentId(unknown).build()),
                () -> read(ch, whole(unknown)),
                () -> GrpcTestClient.internal(ch).deleteContent(DeleteContentRequest.newBuilder().setContentId(unknown).build())}) {
            assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                assertThat(e.getStatus().getDescription()).contains("is not on this node");
            });
        }
    }

    @Test
    void aPutWhoseFirstMessageIsNotStartIsInvalidArgument() {
        CompletableFuture<PutContentResponse> result = new CompletableFuture<>();
        StreamObserver<PutContentRequest> req = StorageInternalGrpc.newStub(ch).putContent(GrpcTestClient.observer(result));
        req.onNext(PutContentRequest.newBuilder().setChunk(ByteString.copyFromUtf8("hello")).build());
        req.onCompleted();
        assertThatThrownBy(result::join).hasCauseInstanceOf(StatusRuntimeException.class)
                .cause().satisfies(e -> {
                    Status s = ((StatusRuntimeException) e).getStatus();
                    assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(s.getDescription()).contains("must be `start`");
                });
    }

    @Test
    void aPutLongerThanAnnouncedIsInvalidArgument() {
        CompletableFuture<PutContentResponse> result = new CompletableFuture<>();
        StreamObserver<PutContentRequest> req = StorageInternalGrpc.newStub(ch).putContent(GrpcTestClient.observer(result));
        req.onNext(PutContentRequest.newBuilder().setStart(PutContentStart.newBuilder().setExpectedSizeBytes(3)).build());
        req.onNext(PutContentRequest.newBuilder().setChunk(ByteString.copyFromUtf8("four")).build());
        req.onCompleted();
        assertThatThrownBy(result::join).cause().isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void aClientCancellingMidStreamLeavesNoManifest() throws Exception {
        int before = runtime.store().contentIds().size();
        CompletableFuture<PutContentResponse> result = new CompletableFuture<>();
        var ctx = io.grpc.Context.current().withCancellation();
        StreamObserver<PutContentRequest>[] req = new StreamObserver[1];
        ctx.run(() -> req[0] = StorageInternalGrpc.newStub(ch).putContent(GrpcTestClient.observer(result)));
        req[0].onNext(PutContentRequest.newBuilder().setStart(PutContentStart.getDefaultInstance()).build());
        byte[] content = random(3 * PIECE, 11);
        req[0].onNext(PutContentRequest.newBuilder().setChunk(ByteString.copyFrom(content, 0, 2 * PIECE + 10)).build());
        Thread.sleep(300);
        ctx.cancel(new RuntimeException("client gave up"));
        assertThatThrownBy(result::join).cause().isInstanceOf(StatusRuntimeException.class);
        Thread.sleep(300);
        assertThat(runtime.store().contentIds()).hasSize(before);
        assertThat(runtime.store().contentIds())
                .doesNotContain(PieceHasher.manifestOf(content).contentId());
    }

    @Test
    void listingAndDeletingContents() {
        byte[] shared = random(PIECE, 12);
        byte[] a = new byte[2 * PIECE];
        System.arraycopy(shared, 0, a, 0, PIECE);
        System.arraycopy(random(PIECE, 13), 0, a, PIECE, PIECE);
        ContentId ida = put(ch, a, PIECE, "a").getContentId();
        ContentId ids = put(ch, shared, PIECE, "shared").getContentId();
        ListContentResponse page = GrpcTestClient.internal(ch).listContent(ListContentRequest.newBuilder().setPageSize(1000).build());
        assertThat(page.getItemsList()).extracting(s -> s.getContentId()).contains(ida, ids);
        assertThat(page.getNextPageToken()).isEmpty();
        // Deleting a frees only its second piece: the first is also the whole of `shared`.
        assertThat(GrpcTestClient.internal(ch).deleteContent(DeleteContentRequest.newBuilder().setContentId(ida).build())
                .getBytesFreed()).isEqualTo(PIECE);
        assertThat(read(ch, whole(ids))).isEqualTo(shared);
        assertThatThrownBy(() -> GrpcTestClient.internal(ch).stat(StatRequest.newBuilder().setContentId(ida).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThatThrownBy(() -> GrpcTestClient.internal(ch).listContent(ListContentRequest.newBuilder().setPageSize(1001).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void aSlowReaderDoesNotMakeTheServerReadTheWholeContentAhead() throws Exception {
        int pieces = 64; // 16 MiB
        byte[] content = random(pieces * PIECE, 14);
        ContentId id = put(ch, content, PIECE, "big").getContentId();
        // A reader with a 1 MiB HTTP/2 window that consumes one message and then stalls.
        ManagedChannel slow = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1",
                        org.eclipse.microprofile.config.ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class))
                .usePlaintext().maxInboundMessageSize(1 << 20).flowControlWindow(1 << 20).build();
        long readsBefore = runtime.contents().piecesRead();
        AtomicInteger received = new AtomicInteger();
        CompletableFuture<Void> done = new CompletableFuture<>();
        ClientCallStreamObserver<ReadContentRequest>[] call = new ClientCallStreamObserver[1];
        StorageInternalGrpc.newStub(slow).readContent(whole(id), new ClientResponseObserver<ReadContentRequest, ReadContentResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<ReadContentRequest> requestStream) {
                call[0] = requestStream;
                requestStream.disableAutoRequestWithInitial(1);
            }

            @Override
            public void onNext(ReadContentResponse value) {
                received.incrementAndGet();
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
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> received.get() == 1);
        Thread.sleep(1000);
        long readAhead = runtime.contents().piecesRead() - readsBefore;
        System.out.println("slow reader: 1 message consumed, " + readAhead + " of " + pieces + " pieces read by the server");
        // Bounded by the reader's window (4 pieces), the transport's queue while ready (2 pieces,
        // WireLimits.BULK_ON_READY_THRESHOLD_BYTES, plus the one that made it unready) and the messages the server
        // produces ahead (FlowSender.AHEAD = 3): not the whole content.
        assertThat(readAhead).isLessThanOrEqualTo(4 + 3 + FlowSender.AHEAD + 1);
        call[0].request(Integer.MAX_VALUE);
        done.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(received.get()).isEqualTo(pieces);
        slow.shutdownNow();
    }
}
