package dev.p2psuite.storage;

import static dev.p2psuite.storage.GrpcTestClient.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.proto.common.v1.ContentId;
import dev.p2psuite.proto.common.v1.SignedPeerRecord;
import dev.p2psuite.proto.storage.v1.FetchRequest;
import dev.p2psuite.proto.storage.v1.FetchResponse;
import dev.p2psuite.proto.storage.v1.FetchState;
import dev.p2psuite.proto.storage.v1.PeerTransfer;
import dev.p2psuite.proto.storage.v1.ReadContentRequest;
import dev.p2psuite.proto.storage.v1.StatRequest;
import dev.p2psuite.proto.storage.v1.TransferStatsRequest;
import dev.p2psuite.proto.storage.v1.TransferStatsResponse;
import dev.p2psuite.storage.core.Manifest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fetch end to end: the service under test dials a provider node's "gateway" ({@link ProviderNode}), authenticates
 * with the node key from its data directory and the record its own gateway hands out, and downloads through the
 * provider's real PiecePeer service, verifying every piece.
 */
@QuarkusTest
@WithTestResource(ProviderNode.class)
class FetchGrpcTest {

    static final int PIECE = Manifest.PIECE_SIZE;

    ManagedChannel ours;
    ManagedChannel theirs;
    SignedPeerRecord provider;

    @BeforeEach
    void open() throws Exception {
        ours = GrpcTestClient.channel();
        theirs = GrpcChannels.open(ConfigProvider.getConfig().getValue("test.provider.address", String.class));
        provider = SignedPeerRecord.parseFrom(Base64.getDecoder().decode(
                ConfigProvider.getConfig().getValue("test.provider.record", String.class)));
    }

    @AfterEach
    void close() {
        ours.shutdownNow();
        theirs.shutdownNow();
    }

    @Test
    void aContentPutOnAnotherNodeIsFetchedVerifiedAndReadableHere() {
        byte[] content = random(10 * PIECE + 99, 31);
        ContentId id = GrpcTestClient.put(theirs, content, PIECE, "remote").getContentId();
        List<FetchResponse> progress = new ArrayList<>();
        GrpcTestClient.internal(ours).fetch(FetchRequest.newBuilder().setContentId(id).addProviders(provider).build())
                .forEachRemaining(progress::add);
        FetchResponse last = progress.get(progress.size() - 1);
        assertThat(last.getState()).isEqualTo(FetchState.FETCH_STATE_COMPLETE);
        assertThat(last.getPiecesDone()).isEqualTo(11);
        assertThat(last.getBytesDone()).isEqualTo(content.length);
        assertThat(progress).anyMatch(FetchResponse::hasManifest);
        assertThat(GrpcTestClient.read(ours, ReadContentRequest.newBuilder().setContentId(id).build())).isEqualTo(content);
        assertThat(GrpcTestClient.internal(ours).stat(StatRequest.newBuilder().setContentId(id).build())
                .getSummary().getComplete()).isTrue();
        TransferStatsResponse stats = GrpcTestClient.internal(ours).transferStats(TransferStatsRequest.getDefaultInstance());
        PeerTransfer peer = stats.getPeersList().stream()
                .filter(p -> p.getNodeId().equals(provider.getRecord().getNodeId())).findFirst().orElseThrow();
        assertThat(peer.getBytesReceived()).isGreaterThanOrEqualTo(content.length);
        assertThat(stats.getTotalBytesReceived()).isGreaterThanOrEqualTo(content.length);
    }

    @Test
    void aReaderWaitingForTheFetchGetsEachPieceAsSoonAsItIsVerified() throws Exception {
        byte[] content = random(6 * PIECE, 32);
        ContentId id = GrpcTestClient.put(theirs, content, PIECE, "streamed").getContentId();
        // Fetch only the manifest first, so a ReadContent can start before any piece is here.
        GrpcTestClient.internal(ours).fetch(FetchRequest.newBuilder().setContentId(id).addProviders(provider)
                .setManifestOnly(true).build()).forEachRemaining(r -> { });
        CompletableFuture<Void> fetched = CompletableFuture.runAsync(() -> GrpcTestClient.internal(ours)
                .fetch(FetchRequest.newBuilder().setContentId(id).addProviders(provider).build())
                .forEachRemaining(r -> { }));
        byte[] read = null;
        for (int attempt = 0; attempt < 50 && read == null; attempt++) {
            try {
                read = GrpcTestClient.read(ours, ReadContentRequest.newBuilder().setContentId(id).setWaitForFetch(true).build());
            } catch (StatusRuntimeException e) {
                // FAILED_PRECONDITION until the Fetch above has started
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                Thread.sleep(20);
            }
        }
        assertThat(read).isEqualTo(content);
        fetched.join();
    }

    @Test
    void aForgedProviderRecordIsInvalidArgument() {
        SignedPeerRecord forged = provider.toBuilder()
                .setSignature(ByteString.copyFrom(new byte[64])).build();
        ContentId id = GrpcTestClient.put(theirs, random(100, 33), 100, "x").getContentId();
        assertThatThrownBy(() -> GrpcTestClient.internal(ours).fetch(FetchRequest.newBuilder().setContentId(id)
                .addProviders(forged).build()).forEachRemaining(r -> { }))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void contentNoProviderHasIsNotFound() {
        ContentId unknown = ContentId.newBuilder().setValue(ByteString.copyFrom(
                dev.p2psuite.storage.core.PieceHasher.manifestOf(random(5, 34)).contentId().bytes())).build();
        assertThatThrownBy(() -> GrpcTestClient.internal(ours).fetch(FetchRequest.newBuilder().setContentId(unknown)
                .addProviders(provider).build()).forEachRemaining(r -> { }))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).contains("no provider has the manifest");
                });
    }
}
