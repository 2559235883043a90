package dev.p2psuite.dht.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.p2psuite.dht.DhtConfig;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.search.v1.QueryRequest;
import dev.p2psuite.proto.search.v1.QueryResponse;
import dev.p2psuite.proto.search.v1.SearchHit;
import dev.p2psuite.proto.search.v1.SearchInternalGrpc;
import dev.p2psuite.proto.search.v1.SearchPeerGrpc;
import dev.p2psuite.proto.search.v1.SearchRequest;
import dev.p2psuite.proto.search.v1.SearchResponse;
import dev.p2psuite.proto.search.v1.StatsRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The search services as dht-service runs them (CDI, configuration, the Vert.x gRPC server), with a fake gateway
 * handing over the node's record and a fake storage-service feeding the index.
 */
@QuarkusTest
@WithTestResource(FakeGatewayAndStorage.class)
class SearchServiceTest {

    @Inject
    DhtConfig config;

    ManagedChannel channel;

    @BeforeEach
    void open() {
        channel = GrpcChannels.open("127.0.0.1:" + ConfigProvider.getConfig().getValue("quarkus.grpc.server.test-port", Integer.class));
    }

    @AfterEach
    void close() {
        channel.shutdownNow();
    }

    @Test
    void searchSettingsHaveTheirDocumentedDefaults() {
        DhtConfig.Search s = config.dht().search();
        assertThat(s.defaultTtl()).isEqualTo(4);
        assertThat(s.neighbours()).isEqualTo(8);
        assertThat(s.forwardRatePerNeighbour()).isEqualTo(10);
        assertThat(s.forwardRateTotal()).isEqualTo(100);
        assertThat(s.queryRatePerPeer()).isEqualTo(10);
        assertThat(s.duplicateMemory()).isEqualTo(Duration.ofMinutes(10));
        assertThat(s.hopMargin()).isEqualTo(Duration.ofMillis(250));
        assertThat(s.neighbourRefresh()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.indexRefreshInterval()).as("set by the test resource").isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void theNodesOwnCompleteContentIsIndexedAndFoundWithHopsZero() {
        var internal = SearchInternalGrpc.newBlockingStub(channel);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(internal
                .withDeadlineAfter(5, TimeUnit.SECONDS).stats(StatsRequest.getDefaultInstance()).getIndexedContents())
                .as("the complete content only").isEqualTo(1));
        List<SearchResponse> hits = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            hits.clear();
            internal.withDeadlineAfter(10, TimeUnit.SECONDS)
                    .search(SearchRequest.newBuilder().addTerms("bunny").setTimeoutMs(1_000).build())
                    .forEachRemaining(hits::add); // UNAVAILABLE until the gateway has handed over the record
        });
        assertThat(hits).singleElement().satisfies(r -> {
            assertThat(r.getHit().getName()).isEqualTo("Big Buck Bunny.mp4");
            assertThat(r.getHit().getHops()).isZero();
            assertThat(PeerRecords.fromProto(r.getHit().getProvider(), "p")).isEqualTo(FakeGatewayAndStorage.record);
        });
        assertThat(internal.stats(StatsRequest.getDefaultInstance()).getQueriesOriginated()).isPositive();
    }

    @Test
    void aForwardedQueryIsAnsweredWithASignedHitAndMalformedOnesGetInvalidArgument() {
        NodeId caller = NodeId.random(new SplittableRandom(4));
        Metadata asGateway = new Metadata();
        asGateway.put(PeerMetadata.PEER_ID, caller.toHex());
        var peer = SearchPeerGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(asGateway));
        byte[] queryId = new byte[16];
        new SplittableRandom(9).nextBytes(queryId);
        QueryRequest good = QueryRequest.newBuilder().setQueryId(ByteString.copyFrom(queryId)).setTtl(1)
                .addTerms("Animation").build();
        List<SearchHit> hits = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            hits.clear();
            byte[] fresh = queryId.clone();
            fresh[15] = (byte) System.nanoTime(); // a new ID per attempt, or the retry would be a duplicate
            QueryRequest q = good.toBuilder().setQueryId(ByteString.copyFrom(fresh)).build();
            for (var it = peer.withDeadlineAfter(5, TimeUnit.SECONDS).query(q); it.hasNext(); ) {
                QueryResponse r = it.next();
                hits.addAll(r.getHitsList());
            }
            assertThat(hits).hasSize(1);
            Hit h = SearchWire.fromProto(hits.get(0));
            assertThat(new HitVerifier().problem(fresh, h)).isNull();
        });

        assertThatThrownBy(() -> peer.withDeadlineAfter(5, TimeUnit.SECONDS)
                .query(good.toBuilder().setTtl(9).build()).hasNext())
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("ttl must be 1..7, got 9");
                });
        assertThatThrownBy(() -> SearchPeerGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .query(good).hasNext())
                .as("not through the gateway")
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
}
