package dev.p2psuite.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.PeerHandshake;
import dev.p2psuite.grpc.PeerHandshake.PeerSession;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.grpc.WireLimits;
import dev.p2psuite.identity.AuthenticationException;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerRecord;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.auth.v1.AuthenticateRequest;
import dev.p2psuite.proto.auth.v1.ChallengeRequest;
import dev.p2psuite.proto.auth.v1.ChallengeResponse;
import dev.p2psuite.proto.auth.v1.PeerAuthGrpc;
import dev.p2psuite.proto.dht.v1.AddProviderRequest;
import dev.p2psuite.proto.common.v1.ByteRange;
import dev.p2psuite.proto.gateway.v1.DhtKey;
import dev.p2psuite.proto.gateway.v1.FindProvidersRequest;
import dev.p2psuite.proto.gateway.v1.GetContentRequest;
import dev.p2psuite.proto.gateway.v1.NodeInfoRequest;
import dev.p2psuite.proto.gateway.v1.NodeInfoResponse;
import dev.p2psuite.proto.gateway.v1.PeerInfo;
import dev.p2psuite.proto.gateway.v1.PeersRequest;
import dev.p2psuite.proto.gateway.v1.SearchRequest;
import dev.p2psuite.proto.gateway.v1.SearchResponse;
import dev.p2psuite.proto.gateway.v1.PutContentResponse;
import dev.p2psuite.proto.gateway.v1.StatRequest;
import dev.p2psuite.proto.gateway.v1.StatResponse;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.dht.v1.DhtInternalGrpc;
import dev.p2psuite.proto.dht.v1.DhtPeerGrpc;
import dev.p2psuite.proto.dht.v1.FindNodeRequest;
import dev.p2psuite.proto.dht.v1.GetValueRequest;
import dev.p2psuite.proto.dht.v1.GetValueResponse;
import dev.p2psuite.proto.dht.v1.PingRequest;
import dev.p2psuite.proto.dht.v1.PingResponse;
import dev.p2psuite.proto.dht.v1.PutValueRequest;
import dev.p2psuite.proto.dht.v1.PutValueResponse;
import dev.p2psuite.proto.dht.v1.StatsRequest;
import dev.p2psuite.proto.dht.v1.StatsResponse;
import dev.p2psuite.proto.dht.v1.StoreRequest;
import dev.p2psuite.proto.dht.v1.ValueRecord;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A 3-node network of 12 real processes, started and stopped with {@code ./p2p} exactly as a user does, and
 * exercised over real gRPC and HTTP: readiness, health, metrics, reflection, peer authentication through the
 * gateway, routing to the owning service, and the message-size boundary.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalNetworkTest {

    private static final int NODES = 3;
    private static final String DHT_PEER = "p2p.dht.v1.DhtPeer";

    /** What reflection must list on each kind of process (besides its own reflection service). */
    private static final Map<String, Set<String>> EXPECTED_SERVICES = Map.of(
            "gateway", Set.of("p2p.auth.v1.PeerAuth", "p2p.gateway.v1.NodeApi", "p2p.gateway.v1.GatewayInternal", DHT_PEER, "p2p.search.v1.SearchPeer",
                    "p2p.storage.v1.PiecePeer", "p2p.relay.v1.RelayPeer", "grpc.health.v1.Health"),
            "dht-service", Set.of(DHT_PEER, "p2p.dht.v1.DhtInternal", "p2p.search.v1.SearchPeer", "p2p.search.v1.SearchInternal", "grpc.health.v1.Health"),
            "storage-service", Set.of("p2p.storage.v1.PiecePeer", "p2p.storage.v1.StorageInternal", "grpc.health.v1.Health"),
            "relay-service", Set.of("p2p.relay.v1.RelayPeer", "p2p.relay.v1.RelayInternal", "grpc.health.v1.Health"));

    private final SecureRandom random = new SecureRandom();
    private final HttpClient http = HttpClient.newHttpClient();
    private LocalNetwork network;
    private LocalNetwork.Result upResult;

    @BeforeAll
    void startNetwork() throws Exception {
        network = new LocalNetwork(NODES, 17_100);
        network.p2p("down"); // a network left over by an interrupted run
        upResult = network.p2p("up", "--nodes", Integer.toString(NODES));
        System.out.println(upResult.output());
        assertThat(upResult.exitCode()).as("./p2p up output:\n%s", upResult.output()).isZero();
    }

    @AfterAll
    void stopNetwork() throws Exception {
        if (network != null) {
            network.close();
        }
    }

    @Test
    @Order(1)
    void upPrintsEveryNodesGatewayAddress() {
        for (int node = 1; node <= NODES; node++) {
            assertThat(upResult.output()).contains("node " + node + "  gateway 127.0.0.1:" + network.port(node, "gateway"));
        }
        assertThat(upResult.output()).contains("all 12 services ready");
    }

    @Test
    @Order(2)
    void everyProcessServesHealthMetricsAndGrpcHealth() throws Exception {
        for (int node = 1; node <= NODES; node++) {
            for (String service : LocalNetwork.SERVICES) {
                int port = network.httpPort(node, service);
                for (String path : List.of("/q/health/live", "/q/health/ready")) {
                    HttpResponse<String> r = get(port, path);
                    assertThat(r.statusCode()).as("node %d %s %s: %s", node, service, path, r.body()).isEqualTo(200);
                }
                HttpResponse<String> metrics = get(port, "/q/metrics");
                assertThat(metrics.statusCode()).isEqualTo(200);
                assertThat(metrics.body()).contains("# TYPE jvm_memory_used_bytes");
                HealthCheckResponse health = HealthGrpc.newBlockingStub(network.channel(node, service))
                        .withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
                assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            }
        }
    }

    @Test
    @Order(3)
    void reflectionListsEveryServiceOfEveryProcess() throws Exception {
        for (int node = 1; node <= NODES; node++) {
            for (String service : LocalNetwork.SERVICES) {
                Set<String> listed = Reflection.listServices(network.channel(node, service));
                assertThat(listed).as("node %d %s", node, service).containsAll(EXPECTED_SERVICES.get(service));
            }
        }
    }

    @Test
    @Order(4)
    void peerCallWithoutSessionIsRefusedWithInstructions() {
        assertThatThrownBy(() -> dhtPeer(1).store(storeOf(16)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains("PeerAuth/Challenge", "p2p-session-bin");
                });
    }

    @Test
    @Order(5)
    void authenticatedPeerCallReachesTheServiceThatOwnsIt() throws Exception {
        NodeKey caller = NodeKey.generate(random);
        PeerSession session = handshake(1, caller);
        // Ping is answered by dht-service (the gateway serves no DhtPeer method itself) with the node's record.
        PingResponse pong = session.attachTo(dhtPeer(1)).ping(PingRequest.getDefaultInstance());
        assertThat(pong.getResponder().getRecord().getNodeId())
                .isEqualTo(ByteString.copyFrom(session.responder().nodeId().bytes()));
    }

    @Test
    @Order(6)
    void responderProvesItsIdentityAndIsTheNodeDialed() throws Exception {
        NodeKey caller = NodeKey.generate(random);
        PeerSession first = handshake(1, caller);
        NodeId node1 = first.responder().nodeId();
        PeerSession again = PeerHandshake.authenticate(network.channel(1, "gateway"), caller, recordOf(caller),
                node1, random);
        assertThat(again.responder().nodeId()).isEqualTo(node1);
        // node 2 is not node 1: a client that dialed node 1's ID at node 2's address notices
        assertThatThrownBy(() -> PeerHandshake.authenticate(network.channel(2, "gateway"), caller, recordOf(caller),
                node1, random))
                .isInstanceOf(AuthenticationException.class).hasMessageContaining("dialed " + node1.toHex());
    }

    @Test
    @Order(7)
    void callerClaimingAnotherNodesIdIsRefused() {
        NodeKey victim = NodeKey.generate(random);
        NodeKey attacker = NodeKey.generate(random);
        PeerAuthGrpc.PeerAuthBlockingStub auth = PeerAuthGrpc.newBlockingStub(network.channel(1, "gateway"));
        byte[] clientNonce = new byte[32];
        random.nextBytes(clientNonce);
        ChallengeResponse challenge = auth.challenge(ChallengeRequest.newBuilder()
                .setClientNonce(ByteString.copyFrom(clientNonce)).build());
        NodeId responder = NodeId.of(challenge.getResponder().getRecord().getNodeId().toByteArray());
        // The victim's genuine record, but the handshake signature is the attacker's.
        byte[] callerMessage = dev.p2psuite.identity.PeerAuthenticator.callerMessage(
                challenge.getServerNonce().toByteArray(), responder, victim.nodeId());
        AuthenticateRequest claim = AuthenticateRequest.newBuilder()
                .setServerNonce(challenge.getServerNonce())
                .setCaller(PeerRecords.toProto(recordOf(victim)))
                .setCallerSignature(ByteString.copyFrom(attacker.sign(callerMessage)))
                .build();
        assertThatThrownBy(() -> auth.authenticate(claim))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }

    @Test
    @Order(8)
    void forgedAndMalformedRecordsAreRefused() {
        NodeKey caller = NodeKey.generate(random);
        NodeKey other = NodeKey.generate(random);
        PeerAuthGrpc.PeerAuthBlockingStub auth = PeerAuthGrpc.newBlockingStub(network.channel(1, "gateway"));
        // A record naming an ID that is not its key's: rejected before any signature is looked at.
        SignedPeerRecord honest = recordOf(caller);
        PeerRecord mismatched = new PeerRecord(other.nodeId(), caller.publicKey(), honest.seq(), honest.record().candidates());
        SignedPeerRecord mismatchedSigned = new SignedPeerRecord(mismatched, caller.sign(mismatched.canonicalBytes()));
        assertThatThrownBy(() -> auth.authenticate(authenticateWith(auth, mismatchedSigned, caller)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                    assertThat(e.getStatus().getDescription()).contains(other.nodeId().toHex());
                });
        // A nonce of the wrong size is a malformed request.
        assertThatThrownBy(() -> auth.challenge(ChallengeRequest.newBuilder()
                .setClientNonce(ByteString.copyFrom(new byte[3])).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("client_nonce");
                });
    }

    @Test
    @Order(9)
    void forgedSessionTokenIsRefused() {
        byte[] forged = new byte[60];
        random.nextBytes(forged);
        Metadata headers = new Metadata();
        headers.put(PeerMetadata.SESSION_TOKEN, forged);
        assertThatThrownBy(() -> dhtPeer(1).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .store(storeOf(16)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }

    @Test
    @Order(10)
    void fullPiecePassesBothHopsAndOversizeMessageIsRejectedWhileTheNodeKeepsServing() throws Exception {
        PeerSession session = handshake(2, NodeKey.generate(random));
        DhtPeerGrpc.DhtPeerBlockingStub dht = session.attachTo(dhtPeer(2));
        // A whole piece (plus envelope) crosses the gateway and reaches dht-service, which judges the content:
        // a 256 KiB value is over the DHT's 64 KiB bound.
        assertThatThrownBy(() -> dht.store(storeOf(WireLimits.PIECE_SIZE)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("at most 65536");
                });
        // Twice the message limit is refused at the gateway.
        assertThatThrownBy(() -> dht.store(storeOf(2 * WireLimits.MAX_MESSAGE_BYTES)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        // ... and the node goes on serving. (grpc-java's server may close the connection the oversized message came
        // on, with GOAWAY, when the client keeps sending the rest of it; the channel then dials a new one.)
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(dht.ping(PingRequest.getDefaultInstance()).hasResponder()).isTrue());
        assertThat(get(network.httpPort(2, "gateway"), "/q/health/ready").statusCode()).isEqualTo(200);
    }

    @Test
    @Order(20)
    void everyNodeJoinedTheDhtThroughNode1() {
        for (int node = 1; node <= NODES; node++) {
            int n = node;
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                StatsResponse stats = dhtInternal(n).stats(StatsRequest.getDefaultInstance());
                assertThat(stats.getReady()).isTrue();
                // at least the other nodes; test clients that handshook with a node may be contacts too
                assertThat(stats.getRoutingTableSize()).as("node %d knows every other node", n)
                        .isGreaterThanOrEqualTo(NODES - 1);
            });
        }
    }

    @Test
    @Order(21)
    void aValuePutOnNode1IsReadOnNode3AndSurvivesARestartOfItsHolder() throws Exception {
        byte[] keyBytes = new byte[20];
        random.nextBytes(keyBytes);
        ByteString key = ByteString.copyFrom(keyBytes);
        ByteString value = ByteString.copyFromUtf8("hello from node 1");
        PutValueResponse put = dhtInternal(1).putValue(PutValueRequest.newBuilder().setKey(key).setValue(value)
                .setTtlSeconds(600).build());
        assertThat(put.getStoredCount()).isEqualTo(NODES); // k = 20 > 3 nodes: every node holds it
        GetValueResponse got = dhtInternal(3).getValue(GetValueRequest.newBuilder().setKey(key).build());
        assertThat(got.getRecord().getValue()).isEqualTo(value);

        // dht-service of node 2 stops (saving its state) and starts again: it remembers its contacts and the value.
        LocalNetwork.Result restart = network.p2p("restart", "2", "dht-service");
        assertThat(restart.exitCode()).as(restart.output()).isZero();
        GetValueResponse afterRestart = dhtInternal(2).getValue(GetValueRequest.newBuilder().setKey(key).build());
        assertThat(afterRestart.getLocal()).isTrue();
        assertThat(afterRestart.getRecord().getValue()).isEqualTo(value);
        assertThat(dhtInternal(2).stats(StatsRequest.getDefaultInstance()).getRoutingTableSize())
                .isGreaterThanOrEqualTo(NODES - 1);
    }

    @Test
    @Order(22)
    void badDhtInputIsAnsweredPreciselyAndTheServiceKeepsServing() throws Exception {
        PeerSession session = handshake(3, NodeKey.generate(random));
        DhtPeerGrpc.DhtPeerBlockingStub dht = session.attachTo(dhtPeer(3));
        assertThatThrownBy(() -> dht.findNode(FindNodeRequest.newBuilder().setTarget(ByteString.copyFrom(new byte[5])).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("target must be 20 bytes, got 5");
                });
        // A value record whose signature is not its publisher's.
        NodeKey publisher = NodeKey.generate(random);
        SignedPeerRecord publisherRecord = recordOf(publisher);
        ValueRecord forged = ValueRecord.newBuilder().setKey(ByteString.copyFrom(new byte[20]))
                .setValue(ByteString.copyFromUtf8("x")).setPublisher(PeerRecords.toProto(publisherRecord)).setSeq(1)
                .setExpiresAtUnixMs(System.currentTimeMillis() + 60_000)
                .setSignature(ByteString.copyFrom(new byte[64])).build();
        assertThatThrownBy(() -> dht.store(StoreRequest.newBuilder().setRecord(forged).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("not signed by its publisher");
                });
        // Announcing another node as a provider.
        assertThatThrownBy(() -> dht.addProvider(AddProviderRequest.newBuilder().setKey(ByteString.copyFrom(new byte[20]))
                .setProvider(PeerRecords.toProto(publisherRecord)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        // An unknown key.
        assertThatThrownBy(() -> dhtInternal(3).getValue(GetValueRequest.newBuilder()
                .setKey(ByteString.copyFrom(new byte[20])).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThat(dht.ping(PingRequest.getDefaultInstance()).hasResponder()).isTrue();
    }

    @Test
    @Order(11)
    void nodeJsClientLoadingProtoAsIsReadsNodeInfo() throws Exception {
        Path client = network.repo.resolve("clients/node");
        if (!Files.isDirectory(client.resolve("node_modules"))) {
            assertThat(System.getenv("CI")).as("CI installs the Node client (npm ci in clients/node)").isNull();
            Assumptions.abort("run 'npm ci' in clients/node to test the Node.js client");
        }
        String nodeId = dev.p2psuite.proto.gateway.v1.NodeApiGrpc.newBlockingStub(network.channel(1, "gateway"))
                .nodeInfo(dev.p2psuite.proto.gateway.v1.NodeInfoRequest.getDefaultInstance()).getNodeId();
        Process node = new ProcessBuilder("node", "cli.js", "--target", "127.0.0.1:" + network.port(1, "gateway"), "info")
                .directory(client.toFile()).redirectErrorStream(true).start();
        String output = new String(node.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as(output).isZero();
        assertThat(output).contains("\"nodeId\":\"" + nodeId + "\"", "\"ready\":true");
    }

    @Test
    @Order(23)
    void clientApiPutsAValueByNameOnNode1AndReadsItOnNode3() {
        var node1 = NodeApiGrpc.newBlockingStub(network.channel(1, "gateway")).withDeadlineAfter(30, TimeUnit.SECONDS);
        var node3 = NodeApiGrpc.newBlockingStub(network.channel(3, "gateway")).withDeadlineAfter(30, TimeUnit.SECONDS);
        DhtKey name = DhtKey.newBuilder().setName("greeting-" + random.nextInt(1_000_000)).build();
        var put = node1.putValue(dev.p2psuite.proto.gateway.v1.PutValueRequest.newBuilder().setKey(name)
                .setValue(ByteString.copyFromUtf8("hello")).build());
        assertThat(put.getStoredCount()).isEqualTo(NODES);
        var got = node3.getValue(dev.p2psuite.proto.gateway.v1.GetValueRequest.newBuilder().setKey(name).build());
        assertThat(got.getValue().toStringUtf8()).isEqualTo("hello");
        assertThat(got.getKey()).isEqualTo(put.getKey());
        assertThatThrownBy(() -> node3.getValue(dev.p2psuite.proto.gateway.v1.GetValueRequest.newBuilder()
                .setKey(DhtKey.newBuilder().setRaw(ByteString.copyFrom(new byte[3]))).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("key.raw must be 20 bytes, got 3");
                });
        assertThatThrownBy(() -> node3.getValue(dev.p2psuite.proto.gateway.v1.GetValueRequest.newBuilder()
                .setKey(DhtKey.newBuilder().setName("nobody-wrote-this")).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
        assertThat(node1.routingTable(dev.p2psuite.proto.gateway.v1.RoutingTableRequest.getDefaultInstance()).getSize())
                .isGreaterThanOrEqualTo(NODES - 1);
    }

    @Test
    @Order(30)
    void contentPutOnNode1IsDownloadedOnNode3VerifiedByteForByteAndNode3ProvidesItToo() throws Exception {
        byte[] content = new byte[3 * 262_144 + 1]; // four pieces, the last one byte long
        random.nextBytes(content);
        PutContentResponse put = ContentClient.put(network.channel(1, "gateway"), content, "four-pieces.bin");
        String id = put.getContent().getContentId();
        assertThat(id).startsWith("b").hasSize(56);
        assertThat(put.getContent().getPieceCount()).isEqualTo(4);
        assertThat(put.getContent().getComplete()).isTrue();
        assertThat(put.getProvidersAnnounced()).as("announced on the other nodes").isGreaterThanOrEqualTo(1);

        ContentClient.Got got = ContentClient.get(network.channel(3, "gateway"),
                GetContentRequest.newBuilder().setContentId(id).setProgress(true).build());
        assertThat(sameBytes(got.data(), content)).isTrue();
        assertThat(got.header().getHeader().getLength()).isEqualTo(content.length);
        assertThat(got.header().getHeader().getContent().getMetadata().getName()).isEqualTo("four-pieces.bin");
        assertThat(got.progressMessages()).isPositive();

        var node3 = NodeApiGrpc.newBlockingStub(network.channel(3, "gateway")).withDeadlineAfter(30, TimeUnit.SECONDS);
        StatResponse stat = node3.stat(StatRequest.newBuilder().setContentId(id).build());
        assertThat(stat.getLocal()).isTrue();
        assertThat(stat.getContent().getComplete()).isTrue();
        // Node 3 announces itself once the download completes; node 2 then finds both.
        var node2 = NodeApiGrpc.newBlockingStub(network.channel(2, "gateway"));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(node2.withDeadlineAfter(30, TimeUnit.SECONDS)
                .findProviders(FindProvidersRequest.newBuilder().setContentId(id).build()).getProvidersList())
                .extracting(PeerInfo::getNodeId)
                .contains(nodeInfo(1).getNodeId(), nodeInfo(3).getNodeId()));
        // A second get on node 3 is served from its own store.
        assertThat(sameBytes(ContentClient.get(network.channel(3, "gateway"), id).data(), content)).isTrue();
    }

    @Test
    @Order(31)
    void aByteRangeIsServedExactlyAndEmptyAndOneByteContentsTravelToo() throws Exception {
        byte[] content = new byte[2 * 262_144 + 5_000];
        random.nextBytes(content);
        String id = ContentClient.put(network.channel(1, "gateway"), content, "range.bin").getContent().getContentId();
        ContentClient.Got range = ContentClient.get(network.channel(2, "gateway"), GetContentRequest.newBuilder()
                .setContentId(id).setRange(ByteRange.newBuilder().setOffset(300_000).setLength(200_000)).build());
        assertThat(range.header().getHeader().getOffset()).isEqualTo(300_000);
        assertThat(sameBytes(range.data(), java.util.Arrays.copyOfRange(content, 300_000, 500_000))).isTrue();

        for (byte[] tiny : List.of(new byte[0], new byte[] {42})) {
            String tinyId = ContentClient.put(network.channel(1, "gateway"), tiny, "tiny").getContent().getContentId();
            assertThat(ContentClient.get(network.channel(3, "gateway"), tinyId).data()).isEqualTo(tiny);
        }
    }

    @Test
    @Order(32)
    void unknownMalformedAndOutOfRangeGetsFailFastWithPreciseStatuses() throws Exception {
        var node3 = network.channel(3, "gateway");
        String unknown = dev.p2psuite.storage.core.ContentId.ofSha256(new byte[32]).toString();
        long start = System.nanoTime();
        assertThatThrownBy(() -> ContentClient.get(node3, unknown))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).contains(unknown, "no provider");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThatThrownBy(() -> ContentClient.get(node3, "bnot-an-id"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith("content_id: ");
                });
        String id = ContentClient.put(network.channel(1, "gateway"), new byte[10], "ten").getContent().getContentId();
        assertThatThrownBy(() -> ContentClient.get(node3, GetContentRequest.newBuilder().setContentId(id)
                .setRange(ByteRange.newBuilder().setOffset(10)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE));
        var stub = NodeApiGrpc.newBlockingStub(node3).withDeadlineAfter(30, TimeUnit.SECONDS);
        assertThatThrownBy(() -> stub.stat(StatRequest.newBuilder().setContentId(unknown).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    @Order(33)
    void aSearchOnNode3FindsContentPutOnNode1ByAWordOfItsNameThroughTheFlood() throws Exception {
        String word = "flood" + Integer.toString(random.nextInt(1 << 30), 36);
        String id = ContentClient.put(network.channel(1, "gateway"), new byte[1000], word + "-notes.txt")
                .getContent().getContentId();
        var node3 = NodeApiGrpc.newBlockingStub(network.channel(3, "gateway"));
        // Node 1's dht-service indexes its storage every few seconds; then a query from node 3 reaches it.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<SearchResponse> hits = new java.util.ArrayList<>();
            node3.withDeadlineAfter(30, TimeUnit.SECONDS).search(SearchRequest.newBuilder().addTerms(word.toUpperCase())
                    .setTimeoutMs(2_000).build()).forEachRemaining(hits::add);
            assertThat(hits).extracting(h -> h.getHit().getContentId()).contains(id);
            SearchResponse hit = hits.stream().filter(h -> h.getHit().getContentId().equals(id)).findFirst().orElseThrow();
            assertThat(hit.getHit().getProvider().getNodeId()).isEqualTo(nodeInfo(1).getNodeId());
            assertThat(hit.getHit().getName()).isEqualTo(word + "-notes.txt");
            assertThat(hit.getHit().getHops()).isPositive();
        });
        assertThatThrownBy(() -> node3.withDeadlineAfter(30, TimeUnit.SECONDS)
                .search(SearchRequest.newBuilder().setTtl(9).addTerms("x").build()).forEachRemaining(h -> { }))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    @Order(35)
    void httpSearchOnNode2AnswersJsonHitsAndPreciseErrors() throws Exception {
        String word = "http" + Integer.toString(random.nextInt(1 << 30), 36);
        String id = ContentClient.put(network.channel(1, "gateway"), new byte[500], word + ".txt")
                .getContent().getContentId();
        int http = network.httpPort(2, "gateway");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> r = get(http, "/api/v1/search?q=" + word + "&timeout_ms=2000");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
            assertThat(r.body()).contains("\"contentId\":\"" + id + "\"", "\"name\":\"" + word + ".txt\"");
        });
        HttpResponse<String> bad = get(http, "/api/v1/search?q=x&ttl=abc");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("\"code\":\"INVALID_ARGUMENT\"", "ttl must be a whole number");
        HttpResponse<String> tooFar = get(http, "/api/v1/search?q=x&ttl=9");
        assertThat(tooFar.statusCode()).isEqualTo(400);
        assertThat(get(http, "/api/v1/search").body()).contains("q is required");
        assertThat(get(http, "/q/openapi").body()).contains("/api/v1/search");
    }

    @Test
    @Order(36)
    void restPutOnNode1IsServedByteIdenticalOnNode3WithRangesAndCacheHeaders() {
        byte[] data = new byte[700_000]; // 3 pieces, the last one short
        random.nextBytes(data);
        io.restassured.response.Response put = rest(1).contentType("video/mp4").queryParam("name", "clip ü.mp4")
                .queryParam("tag", "rest").body(data).post("/api/v1/content");
        put.then().statusCode(201).contentType("application/json")
                .body("content.sizeBytes", equalTo("700000"), "content.pieceCount", equalTo(3),
                        "content.metadata.mediaType", equalTo("video/mp4"), "content.metadata.tags", hasItem("rest"),
                        "alreadyPresent", equalTo(false));
        String id = put.path("content.contentId");
        assertThat(put.header("Location")).endsWith("/content/" + id);
        String etag = "\"" + id + "\"";

        byte[] got = rest(3).get("/content/" + id).then().statusCode(200).contentType("video/mp4")
                .header("Content-Length", "700000").header("ETag", etag).header("Accept-Ranges", "bytes")
                .header("Content-Disposition", "inline; filename*=UTF-8''clip%20%C3%BC.mp4")
                .extract().asByteArray();
        assertThat(sameBytes(got, data)).as("bytes served by node 3").isTrue();

        byte[] across = rest(3).header("Range", "bytes=262000-262299").get("/content/" + id)
                .then().statusCode(206).header("Content-Range", "bytes 262000-262299/700000")
                .header("Content-Length", "300").extract().asByteArray();
        assertThat(across).isEqualTo(java.util.Arrays.copyOfRange(data, 262_000, 262_300));
        byte[] tail = rest(3).header("Range", "bytes=-100").get("/content/" + id)
                .then().statusCode(206).header("Content-Range", "bytes 699900-699999/700000").extract().asByteArray();
        assertThat(tail).isEqualTo(java.util.Arrays.copyOfRange(data, 699_900, 700_000));
        rest(3).header("Range", "bytes=700000-").get("/content/" + id).then().statusCode(416)
                .header("Content-Range", "bytes */700000").body("code", equalTo("OUT_OF_RANGE"));
        rest(3).header("If-None-Match", etag).get("/content/" + id).then().statusCode(304).header("ETag", etag);
        rest(3).head("/content/" + id).then().statusCode(200).header("Content-Length", "700000")
                .header("ETag", etag);
        rest(1).contentType("video/mp4").body(data).post("/api/v1/content")
                .then().statusCode(200).body("alreadyPresent", equalTo(true), "content.contentId", equalTo(id));
    }

    @Test
    @Order(37)
    void restMirrorOfTheClientApiAnswersJsonAndFailsWithTheGrpcCodes() {
        String id = rest(1).body("mirror".getBytes()).queryParam("name", "mirror.txt").post("/api/v1/content")
                .then().statusCode(201)
                .extract().path("content.contentId");
        rest(1).get("/api/v1/content/" + id).then().statusCode(200)
                .body("local", equalTo(true), "content.complete", equalTo(true), "content.sizeBytes", equalTo("6"));
        rest(1).queryParam("page_size", 1000).get("/api/v1/content").then().statusCode(200)
                .body("items.contentId", hasItem(id));
        String node1 = nodeInfo(1).getNodeId();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> rest(2).get("/api/v1/content/" + id + "/providers")
                .then().statusCode(200).body("providers.nodeId", hasItem(node1)));
        rest(1).get("/api/v1/node").then().statusCode(200).body("nodeId", equalTo(node1), "ready", equalTo(true));
        rest(1).get("/api/v1/peers").then().statusCode(200)
                .body("peers.nodeId", hasItems(nodeInfo(2).getNodeId(), nodeInfo(3).getNodeId()));
        rest(1).get("/api/v1/routing-table").then().statusCode(200).body("selfNodeId", equalTo(node1));
        String name = "rest-value-" + random.nextInt(1 << 30);
        rest(1).queryParam("name", name).body("v".getBytes()).put("/api/v1/dht/values").then().statusCode(200)
                .body("storedCount", org.hamcrest.Matchers.greaterThan(0));
        rest(3).queryParam("name", name).get("/api/v1/dht/values").then().statusCode(200)
                .body("value", equalTo("dg=="), "publisherNodeId", equalTo(node1));
        rest(1).delete("/api/v1/content/" + id).then().statusCode(200).body("bytesFreed", equalTo("6"));

        String unknown = dev.p2psuite.storage.core.ContentId.ofSha256(new byte[32]).toString();
        rest(3).get("/content/" + unknown).then().statusCode(404).contentType("application/json")
                .body("code", equalTo("NOT_FOUND"), "message", containsString("no provider"));
        rest(3).get("/content/bnot-an-id").then().statusCode(400)
                .body("code", equalTo("INVALID_ARGUMENT"), "message", org.hamcrest.Matchers.startsWith("content_id: "));
        rest(3).get("/api/v1/content/bnot-an-id").then().statusCode(400).body("code", equalTo("INVALID_ARGUMENT"));
        rest(3).get("/api/v1/content/" + unknown + "/providers?limit=x").then().statusCode(400)
                .body("message", containsString("limit must be a whole number"));
        rest(3).get("/api/v1/dht/values").then().statusCode(400).body("message", containsString("exactly one of"));
        rest(3).queryParam("key", "abc").get("/api/v1/dht/values").then().statusCode(400)
                .body("message", containsString("40 hex digits"));
        rest(3).get("/api/v1/peers?limit=-1").then().statusCode(400).body("code", equalTo("INVALID_ARGUMENT"));
        rest(3).get("/q/openapi").then().statusCode(200).body(containsString("/content/{id}"),
                containsString("/api/v1/content/{id}/providers"), containsString("/api/v1/dht/values"));
    }

    /** RestAssured aimed at a node's gateway HTTP port. */
    private io.restassured.specification.RequestSpecification rest(int node) {
        return io.restassured.RestAssured.given().baseUri("http://127.0.0.1").port(network.httpPort(node, "gateway"))
                .config(io.restassured.RestAssured.config().encoderConfig(io.restassured.config.EncoderConfig
                        .encoderConfig().appendDefaultContentCharsetToContentTypeIfUndefined(false)));
    }

    @Test
    @Order(34)
    void peersOfNode1AreTheOtherNodesWithTheirPieceTraffic() {
        var peers = NodeApiGrpc.newBlockingStub(network.channel(1, "gateway")).withDeadlineAfter(30, TimeUnit.SECONDS)
                .peers(PeersRequest.getDefaultInstance()).getPeersList();
        assertThat(peers).extracting(PeerInfo::getNodeId).contains(nodeInfo(2).getNodeId(), nodeInfo(3).getNodeId());
        // Node 3 downloaded from node 1 earlier (test 30): node 1 counts the bytes it sent.
        assertThat(peers.stream().filter(p -> p.getNodeId().equals(nodeInfo(3).getNodeId())).findFirst().orElseThrow()
                .getBytesSent()).isPositive();
    }

    /** Equal bytes, compared without printing megabytes when they differ. */
    private static boolean sameBytes(byte[] got, byte[] expected) {
        assertThat(got.length).as("length").isEqualTo(expected.length);
        return java.util.Arrays.equals(got, expected);
    }

    private NodeInfoResponse nodeInfo(int node) {
        return NodeApiGrpc.newBlockingStub(network.channel(node, "gateway")).withDeadlineAfter(30, TimeUnit.SECONDS)
                .nodeInfo(NodeInfoRequest.getDefaultInstance());
    }

    @Test
    @Order(100)
    void downLetsATransferInFlightFinishRefusesNewOnesAndStopsEveryProcess() throws Exception {
        byte[] data = new byte[48 << 20]; // more than the socket buffers and flow-control windows on the way hold
        random.nextBytes(data);
        var gateway = network.channel(1, "gateway");
        String id = ContentClient.put(gateway, data, "drain.bin").getContent().getContentId();
        java.util.Iterator<dev.p2psuite.proto.gateway.v1.GetContentResponse> transfer = NodeApiGrpc
                .newBlockingStub(gateway).withDeadlineAfter(2, TimeUnit.MINUTES)
                .getContent(GetContentRequest.newBuilder().setContentId(id).build());
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream(data.length);
        while (got.size() == 0) {
            var message = transfer.next();
            message.getChunk().getData().writeTo(got);
        }

        var down = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return network.p2p("down");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // Once the gateway is stopping, a new transfer is refused while the one in flight goes on.
        GetContentRequest oneByte = GetContentRequest.newBuilder().setContentId(id)
                .setRange(ByteRange.newBuilder().setLength(1)).build();
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() -> {
            try {
                ContentClient.get(gateway, oneByte);
                return false;
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                return true;
            }
        });
        while (transfer.hasNext()) { // a slow reader: ~12 MB/s
            transfer.next().getChunk().getData().writeTo(got);
            Thread.sleep(20);
        }
        assertThat(sameBytes(got.toByteArray(), data)).as("the transfer in flight finished intact").isTrue();

        LocalNetwork.Result result = down.get(2, TimeUnit.MINUTES);
        assertThat(result.output()).doesNotContain("killing");
        assertThat(Files.readString(network.runDir.resolve("logs/node1-gateway.log")))
                .contains("gateway stopping: waiting up to", "gateway stopping: every transfer in flight has finished");
        assertStopped(result);
    }

    private void assertStopped(LocalNetwork.Result down) throws Exception {
        assertThat(down.exitCode()).as(down.output()).isZero();
        assertThat(down.output()).contains("stopped 12 processes");
        try (var pids = Files.list(network.runDir.resolve("pids"))) {
            assertThat(pids).isEmpty();
        }
        for (int node = 1; node <= NODES; node++) {
            for (String service : LocalNetwork.SERVICES) {
                int port = network.httpPort(node, service);
                assertThatThrownBy(() -> get(port, "/q/health/live")).as("port %d still answers", port)
                        .isInstanceOf(java.io.IOException.class);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private DhtInternalGrpc.DhtInternalBlockingStub dhtInternal(int node) {
        return DhtInternalGrpc.newBlockingStub(network.channel(node, "dht-service")).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private DhtPeerGrpc.DhtPeerBlockingStub dhtPeer(int node) {
        return DhtPeerGrpc.newBlockingStub(network.channel(node, "gateway")).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private PeerSession handshake(int node, NodeKey caller) throws AuthenticationException {
        return PeerHandshake.authenticate(network.channel(node, "gateway"), caller, recordOf(caller), null, random);
    }

    private static SignedPeerRecord recordOf(NodeKey key) {
        return SignedPeerRecord.sign(key, System.currentTimeMillis(), List.of(Candidate.host("127.0.0.1", 1)));
    }

    private AuthenticateRequest authenticateWith(PeerAuthGrpc.PeerAuthBlockingStub auth, SignedPeerRecord record,
                                                 NodeKey signer) {
        byte[] clientNonce = new byte[32];
        random.nextBytes(clientNonce);
        ChallengeResponse challenge = auth.challenge(ChallengeRequest.newBuilder()
                .setClientNonce(ByteString.copyFrom(clientNonce)).build());
        NodeId responder = NodeId.of(challenge.getResponder().getRecord().getNodeId().toByteArray());
        byte[] message = dev.p2psuite.identity.PeerAuthenticator.callerMessage(
                challenge.getServerNonce().toByteArray(), responder, record.nodeId());
        return AuthenticateRequest.newBuilder()
                .setServerNonce(challenge.getServerNonce())
                .setCaller(PeerRecords.toProto(record))
                .setCallerSignature(ByteString.copyFrom(signer.sign(message)))
                .build();
    }

    private static StoreRequest storeOf(int valueBytes) {
        return StoreRequest.newBuilder()
                .setRecord(ValueRecord.newBuilder().setKey(ByteString.copyFrom(new byte[20]))
                        .setValue(ByteString.copyFrom(new byte[valueBytes])))
                .build();
    }
}
