package dev.p2psuite.relay;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.proto.relay.v1.ObserveAddressRequest;
import dev.p2psuite.proto.relay.v1.ObserveAddressResponse;
import dev.p2psuite.proto.relay.v1.RelayInternalGrpc;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import dev.p2psuite.proto.relay.v1.ReserveRequest;
import dev.p2psuite.proto.relay.v1.CandidatesRequest;
import dev.p2psuite.proto.relay.v1.StunInfoRequest;
import dev.p2psuite.proto.relay.v1.StunInfoResponse;
import dev.p2psuite.relay.stun.Stun;
import dev.p2psuite.relay.stun.StunCodec;
import dev.p2psuite.relay.stun.StunMessage;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The STUN binding service on a real UDP socket, and the relay's STUN-related gRPC calls. */
@QuarkusTest
class StunServiceTest {

    private static final String CALLER_ID = "0123456789abcdef0123456789abcdef01234567";

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int grpcPort;

    @Inject
    StunServer stun;

    private ManagedChannel channel;

    @BeforeEach
    void open() {
        channel = GrpcChannels.open("127.0.0.1:" + grpcPort);
    }

    @AfterEach
    void close() {
        GrpcChannels.close(channel);
    }

    private InetSocketAddress stunAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(),
                stun.boundAddress().orElseThrow(() -> new AssertionError("STUN is not bound")).getPort());
    }

    @Test
    void aBindingRequestFromARealSocketGetsThatSocketsAddressAndPort() throws Exception {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            byte[] id = StunClient.newTransactionId();

            StunMessage response = StunClient.exchange(socket, stunAddress(), StunClient.bindingRequest(id));

            assertThat(response.type()).isEqualTo(Stun.BINDING_SUCCESS);
            assertThat(response.transactionId()).isEqualTo(id);
            InetSocketAddress mapped = StunCodec.decodeXorMappedAddress(
                    response.first(Stun.ATTR_XOR_MAPPED_ADDRESS).orElseThrow().value(), id);
            assertThat(mapped).isEqualTo(socket.getLocalSocketAddress());
            assertThat(new String(response.first(Stun.ATTR_SOFTWARE).orElseThrow().value()))
                    .isEqualTo(StunServer.SOFTWARE);
        }
    }

    @Test
    void concurrentClientsEachGetTheirOwnAddress() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                results.add(pool.submit((Callable<Boolean>) () -> {
                    try (DatagramSocket s = new DatagramSocket(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                        for (int i = 0; i < 25; i++) {
                            byte[] id = StunClient.newTransactionId();
                            StunMessage r = StunClient.exchange(s, stunAddress(), StunClient.bindingRequest(id));
                            InetSocketAddress mapped = StunCodec.decodeXorMappedAddress(
                                    r.first(Stun.ATTR_XOR_MAPPED_ADDRESS).orElseThrow().value(), id);
                            if (!mapped.equals(s.getLocalSocketAddress())) {
                                return false;
                            }
                        }
                        return true;
                    }
                }));
            }
            for (Future<Boolean> f : results) {
                assertThat(f.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void junkIsDroppedMalformedRequestsGet400AndTheServiceKeepsAnswering() throws Exception {
        StunInfoResponse before = stunInfo();
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            byte[] wrongFingerprint = StunClient.bindingRequest(StunClient.newTransactionId());
            wrongFingerprint[wrongFingerprint.length - 1] ^= 1;
            for (byte[] junk : List.of(new byte[] {1, 2, 3}, "GET / HTTP/1.1\r\n\r\n".getBytes(), wrongFingerprint,
                    new byte[Stun.MAX_REQUEST_BYTES + 100])) {
                socket.send(new DatagramPacket(junk, junk.length, stunAddress()));
            }
            byte[] id = StunClient.newTransactionId();
            byte[] truncated = StunClient.bindingRequest(id);
            truncated[Stun.HEADER_BYTES + 2] = 0x7F; // FINGERPRINT's length: far more bytes than there are

            StunMessage error = StunClient.exchange(socket, stunAddress(), truncated);
            assertThat(error.type()).isEqualTo(Stun.BINDING_ERROR);
            assertThat(StunCodec.decodeErrorCode(error.first(Stun.ATTR_ERROR_CODE).orElseThrow().value()))
                    .isEqualTo(400);

            StunMessage ok = StunClient.exchange(socket, stunAddress(),
                    StunClient.bindingRequest(StunClient.newTransactionId()));
            assertThat(ok.type()).as("answered after the junk").isEqualTo(Stun.BINDING_SUCCESS);
        }
        StunInfoResponse after = stunInfo();
        assertThat(after.getBindingErrors() - before.getBindingErrors()).as("4 dropped + one 400")
                .isGreaterThanOrEqualTo(5);
        assertThat(after.getBindingSuccesses()).isGreaterThan(before.getBindingSuccesses());
    }

    @Test
    void stunInfoReportsTheBoundPortAndReadinessAndMetricsShowTheService() throws Exception {
        StunInfoResponse info = stunInfo();
        int port = stun.boundAddress().orElseThrow().getPort();

        assertThat(info.getEnabled()).isTrue();
        assertThat(info.getUdpPort()).isEqualTo(port).isNotZero();
        assertThat(info.getBoundAddressesList()).containsExactly("127.0.0.1:" + port);

        given().when().get("/q/health/ready").then().statusCode(200)
                .body("checks.find { it.name == 'stun' }.status", is("UP"))
                .body("checks.find { it.name == 'stun' }.data.udp", is("127.0.0.1:" + port));
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            StunClient.exchange(socket, stunAddress(), StunClient.bindingRequest(StunClient.newTransactionId()));
        }
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("p2p_relay_stun_binding_successes_total"))
                .body(containsString("p2p_relay_stun_binding_errors_total{code=\"420\"}"))
                .body(containsString("p2p_relay_stun_dropped_total{reason=\"bad_fingerprint\"}"));
    }

    @Test
    void observeAddressAnswersTheAddressTheGatewaySaw() {
        assertThat(observe("203.0.113.7:40123")).isEqualTo(ObserveAddressResponse.newBuilder()
                .setHost("203.0.113.7").setPort(40123).build());
        assertThat(observe("[2001:db8::7]:5000")).isEqualTo(ObserveAddressResponse.newBuilder()
                .setHost("2001:db8::7").setPort(5000).build());
    }

    @Test
    void observeAddressWithoutTheGatewaysAddressIsAFailedPrecondition() {
        assertThatThrownBy(() -> observe(null))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getStatus().getDescription()).contains("p2p-peer-addr");
                });
        assertThatThrownBy(() -> observe("not-an-address"))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    }

    @Test
    void peerCallsNotForwardedByTheGatewayAreRefused() {
        assertThatThrownBy(() -> RelayPeerGrpc.newBlockingStub(channel)
                .observeAddress(ObserveAddressRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThatThrownBy(() -> peerStub(null).reserve(ReserveRequest.getDefaultInstance()))
                .as("no signed record came with the call")
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    }

    @Test
    void withoutStunServersOrRelaysConfiguredCandidatesHaveNoVerdictAndNoHeldReservation() {
        var candidates = RelayInternalGrpc.newBlockingStub(channel).candidates(CandidatesRequest.newBuilder()
                .setRefresh(true).build());
        assertThat(candidates.getReachability()).isEqualTo(dev.p2psuite.proto.common.v1.Reachability.REACHABILITY_UNKNOWN);
        assertThat(candidates.getCandidatesList()).allMatch(c -> c.getCandidate().getKind()
                == dev.p2psuite.proto.common.v1.CandidateKind.CANDIDATE_KIND_HOST);
        assertThat(RelayInternalGrpc.newBlockingStub(channel).reservations(
                dev.p2psuite.proto.relay.v1.ReservationsRequest.getDefaultInstance()).getHeldList()).isEmpty();
    }

    @Test
    void theNodesStunBindingClientLearnsItsMappedAddressFromARealServer() throws Exception {
        InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                stun.boundAddress().orElseThrow().getPort());
        int free;
        try (DatagramSocket probe = new DatagramSocket(0)) {
            free = probe.getLocalPort();
        }
        StunBindingClient.Mapping m = new StunBindingClient(new java.security.SecureRandom()).bind(server, free)
                .orElseThrow();
        assertThat(m.fromPreferredPort()).isTrue();
        assertThat(m.mapped()).isEqualTo(new InetSocketAddress(InetAddress.getLoopbackAddress(), free));
        try (DatagramSocket taken = new DatagramSocket(0)) {
            // The preferred port is busy: the request leaves from another one, and says so.
            StunBindingClient.Mapping other = new StunBindingClient(new java.security.SecureRandom())
                    .bind(server, taken.getLocalPort()).orElseThrow();
            assertThat(other.fromPreferredPort()).isFalse();
            assertThat(other.mapped().getPort()).isNotEqualTo(taken.getLocalPort());
        }
    }

    private ObserveAddressResponse observe(String peerAddress) {
        return peerStub(peerAddress).observeAddress(ObserveAddressRequest.getDefaultInstance());
    }

    /** A RelayPeer stub sending what the node's gateway adds to a forwarded peer call. */
    private RelayPeerGrpc.RelayPeerBlockingStub peerStub(String peerAddress) {
        Metadata headers = new Metadata();
        headers.put(PeerMetadata.PEER_ID, CALLER_ID);
        if (peerAddress != null) {
            headers.put(PeerMetadata.PEER_ADDRESS, peerAddress);
        }
        return RelayPeerGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private StunInfoResponse stunInfo() {
        return RelayInternalGrpc.newBlockingStub(channel).stunInfo(StunInfoRequest.getDefaultInstance());
    }
}
