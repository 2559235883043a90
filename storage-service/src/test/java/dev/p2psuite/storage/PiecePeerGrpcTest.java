package dev.p2psuite.storage;

import static dev.p2psuite.storage.GrpcTestClient.put;
import static dev.p2psuite.storage.GrpcTestClient.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.common.v1.ContentId;
import dev.p2psuite.proto.storage.v1.DeleteContentRequest;
import dev.p2psuite.proto.storage.v1.GetHaveRequest;
import dev.p2psuite.proto.storage.v1.GetHaveResponse;
import dev.p2psuite.proto.storage.v1.GetManifestRequest;
import dev.p2psuite.proto.storage.v1.PieceResponse;
import dev.p2psuite.proto.storage.v1.PiecePeerGrpc;
import dev.p2psuite.proto.storage.v1.PutContentResponse;
import dev.p2psuite.proto.storage.v1.RequestPiecesRequest;
import dev.p2psuite.proto.storage.v1.WatchChokeRequest;
import dev.p2psuite.proto.storage.v1.WatchChokeResponse;
import dev.p2psuite.storage.core.Manifest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** PiecePeer as other nodes reach it through the gateway (which passes on the caller's authenticated node ID). */
@QuarkusTest
@WithTestResource(TempDataDir.class)
class PiecePeerGrpcTest {

    static final int PIECE = Manifest.PIECE_SIZE;
    static final SplittableRandom IDS = new SplittableRandom();

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

    static NodeId newPeer() {
        return NodeId.random(IDS);
    }

    /** Opens WatchChoke as {@code peer} (declares interest) and collects its events. */
    List<WatchChokeResponse> watch(NodeId peer, ContentId id, CompletableFuture<Void> end) {
        List<WatchChokeResponse> events = new CopyOnWriteArrayList<>();
        GrpcTestClient.peerAsync(ch, peer).watchChoke(WatchChokeRequest.newBuilder().setContentId(id).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(WatchChokeResponse value) {
                        events.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        end.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        end.complete(null);
                    }
                });
        return events;
    }

    static List<PieceResponse> request(PiecePeerGrpc.PiecePeerBlockingStub stub, ContentId id, Integer... indexes) {
        List<PieceResponse> out = new ArrayList<>();
        stub.requestPieces(RequestPiecesRequest.newBuilder().setContentId(id).addAllPieceIndexes(Arrays.asList(indexes))
                .build()).forEachRemaining(out::add);
        return out;
    }

    static void assertStatus(Runnable call, Status.Code code, String message) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(message);
        });
    }

    @Test
    void anInterestedPeerIsUnchokedAndGetsAFullPieceThroughRequestPieces() {
        byte[] content = random(2 * PIECE + 1234, 21);
        ContentId id = put(ch, content, 100_000, "pieces").getContentId();
        NodeId peer = newPeer();
        List<WatchChokeResponse> events = watch(peer, id, new CompletableFuture<>());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.stream()
                .anyMatch(e -> e.hasChoke() && !e.getChoke().getChoked()));
        List<PieceResponse> answers = request(GrpcTestClient.peer(ch, peer), id, 0, 2, 1);
        assertThat(answers).extracting(PieceResponse::getIndex).containsExactly(0, 2, 1);
        assertThat(answers).allMatch(PieceResponse::hasPiece);
        // A whole 262,144-byte piece in one message: over the unified server's 256 KB default message limit.
        assertThat(answers.get(0).getPiece().getData().size()).isEqualTo(PIECE);
        assertThat(answers.get(0).getSerializedSize()).isGreaterThan(PIECE).isLessThan(262_200);
        assertThat(answers.get(0).getPiece().getData().toByteArray()).isEqualTo(Arrays.copyOfRange(content, 0, PIECE));
        assertThat(answers.get(1).getPiece().getData().toByteArray())
                .isEqualTo(Arrays.copyOfRange(content, 2 * PIECE, content.length));
        assertThat(runtime.exchange().choker().stats(runtime.exchange().now()))
                .anySatisfy(s -> {
                    assertThat(s.peer()).isEqualTo(peer);
                    assertThat(s.bytesSent()).isEqualTo(content.length);
                });
    }

    @Test
    void aRequestMayCarryTheRequestersBitfieldAndOneOfTheWrongLengthIsIgnored() {
        byte[] content = random(3 * PIECE, 27);
        ContentId id = put(ch, content, 100_000, "bitfield").getContentId();
        NodeId peer = newPeer();
        List<WatchChokeResponse> events = watch(peer, id, new CompletableFuture<>());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.stream()
                .anyMatch(e -> e.hasChoke() && !e.getChoke().getChoked()));
        for (byte[] bitfield : List.of(new byte[] {(byte) 0b1000_0000}, new byte[] {1, 2, 3})) {
            List<PieceResponse> answers = new ArrayList<>();
            GrpcTestClient.peer(ch, peer).requestPieces(RequestPiecesRequest.newBuilder().setContentId(id)
                    .addPieceIndexes(1).setRequesterBitfield(ByteString.copyFrom(bitfield)).build())
                    .forEachRemaining(answers::add);
            assertThat(answers).singleElement().satisfies(a -> assertThat(a.hasPiece()).isTrue());
        }
    }

    @Test
    void watchChokeStartsWithTheChokeStateAndTheBitfieldAndEndsWhenTheContentIsDeleted() throws Exception {
        byte[] content = random(9 * PIECE, 22);
        ContentId id = put(ch, content, PIECE, "watched").getContentId();
        CompletableFuture<Void> end = new CompletableFuture<>();
        List<WatchChokeResponse> events = watch(newPeer(), id, end);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> events.size() >= 2);
        assertThat(events.get(0).hasChoke()).isTrue();
        assertThat(events.get(1).hasBitfield()).isTrue();
        assertThat(events.get(1).getBitfield().getPieceCount()).isEqualTo(9);
        assertThat(events.get(1).getBitfield().getBitfield().toByteArray()).containsExactly(0xff, 0x80);
        GrpcTestClient.internal(ch).deleteContent(DeleteContentRequest.newBuilder().setContentId(id).build());
        end.get(10, java.util.concurrent.TimeUnit.SECONDS); // closed with OK
    }

    @Test
    void aPieceRequestBeyondTheLastIndexIsInvalidArgument() {
        ContentId id = put(ch, random(PIECE + 1, 23), PIECE, "two").getContentId();
        assertStatus(() -> request(GrpcTestClient.peer(ch, newPeer()), id, 0, 2), Status.Code.INVALID_ARGUMENT,
                "piece index 2 is beyond the last piece");
    }

    @Test
    void tooManyOrRepeatedIndexesAreInvalidArgument() {
        ContentId id = put(ch, random(10, 24), 10, "tiny").getContentId();
        var stub = GrpcTestClient.peer(ch, newPeer());
        assertStatus(() -> request(stub, id), Status.Code.INVALID_ARGUMENT, "1..64");
        Integer[] many = new Integer[65];
        Arrays.setAll(many, i -> i);
        assertStatus(() -> request(stub, id, many), Status.Code.INVALID_ARGUMENT, "1..64");
        assertStatus(() -> request(stub, id, 0, 0), Status.Code.INVALID_ARGUMENT, "twice");
    }

    @Test
    void aChokedPeerGetsChokedWithRetryAfterNotAnError() {
        ContentId id = put(ch, random(3 * PIECE, 25), PIECE, "choked").getContentId();
        List<PieceResponse> answers = request(GrpcTestClient.peer(ch, newPeer()), id, 0, 1, 2);
        assertThat(answers).hasSize(3).allSatisfy(a -> {
            assertThat(a.hasChoked()).isTrue();
            assertThat(a.getChoked().getRetryAfterMs()).isBetween(1, 10_000);
        });
    }

    @Test
    void aBannedPeerIsPermissionDenied() {
        ContentId id = put(ch, random(100, 26), 100, "banned").getContentId();
        NodeId liar = newPeer();
        runtime.exchange().penalties().recordBadPiece(liar);
        runtime.exchange().penalties().recordBadPiece(liar);
        var stub = GrpcTestClient.peer(ch, liar);
        assertStatus(() -> request(stub, id, 0), Status.Code.PERMISSION_DENIED, "banned");
        assertStatus(() -> stub.getHave(GetHaveRequest.newBuilder().setContentId(id).build()),
                Status.Code.PERMISSION_DENIED, "banned");
    }

    @Test
    void getManifestAndGetHaveDescribeWhatIsHeld() {
        byte[] content = random(3 * PIECE + 5, 27);
        PutContentResponse put = put(ch, content, PIECE, "have");
        var stub = GrpcTestClient.peer(ch, newPeer());
        assertThat(stub.getManifest(GetManifestRequest.newBuilder().setContentId(put.getContentId()).build())
                .getManifest()).isEqualTo(put.getManifest());
        GetHaveResponse have = stub.getHave(GetHaveRequest.newBuilder().setContentId(put.getContentId()).build());
        assertThat(have.getPieceCount()).isEqualTo(4);
        assertThat(have.getPiecesHeld()).isEqualTo(4);
        assertThat(have.getBitfield().toByteArray()).containsExactly(0xf0);
        assertThat(have.getChokingCaller()).isTrue(); // a peer that never declared interest
    }

    @Test
    void unknownContentIsNotFoundAndMalformedIdsAreInvalidArgument() {
        var stub = GrpcTestClient.peer(ch, newPeer());
        ContentId unknown = ContentId.newBuilder().setValue(com.google.protobuf.ByteString.copyFrom(
                dev.p2psuite.storage.core.PieceHasher.manifestOf(random(3, 28)).contentId().bytes())).build();
        assertStatus(() -> stub.getManifest(GetManifestRequest.newBuilder().setContentId(unknown).build()),
                Status.Code.NOT_FOUND, "is not on this node");
        assertStatus(() -> request(stub, unknown, 0), Status.Code.NOT_FOUND, "is not on this node");
        ContentId bad = ContentId.newBuilder().setValue(com.google.protobuf.ByteString.copyFromUtf8("nope")).build();
        assertStatus(() -> stub.getHave(GetHaveRequest.newBuilder().setContentId(bad).build()),
                Status.Code.INVALID_ARGUMENT, "content_id");
    }

    @Test
    void aPeerCallThatDidNotComeThroughTheGatewayIsUnauthenticated() {
        ContentId id = put(ch, random(100, 29), 100, "direct").getContentId();
        assertStatus(() -> PiecePeerGrpc.newBlockingStub(ch).getHave(GetHaveRequest.newBuilder().setContentId(id).build()),
                Status.Code.UNAUTHENTICATED, "gateway");
    }
}
