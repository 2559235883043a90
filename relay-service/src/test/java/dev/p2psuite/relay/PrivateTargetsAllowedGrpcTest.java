package dev.p2psuite.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.PeerHandshake;
import dev.p2psuite.grpc.PunchPort;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.common.v1.CandidateKind;
import dev.p2psuite.proto.relay.v1.DialBackOutcome;
import dev.p2psuite.proto.relay.v1.DialBackRequest;
import dev.p2psuite.proto.relay.v1.DialBackResponse;
import dev.p2psuite.proto.relay.v1.DialBackResult;
import dev.p2psuite.proto.relay.v1.HolePunchConnect;
import dev.p2psuite.proto.relay.v1.HolePunchRequest;
import dev.p2psuite.proto.relay.v1.HolePunchResponse;
import dev.p2psuite.proto.relay.v1.HolePunchResult;
import dev.p2psuite.proto.relay.v1.HolePunchSync;
import dev.p2psuite.proto.relay.v1.StatsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * With {@code p2p.relay.allow-private-targets=true} (a test network on 127.0.0.1) the relay dials loopback: dial-
 * backs report what they found, TURN-style circuits reach a node's gateway at an address, and the hole-punch
 * responder dials the initiator's candidates. The "nodes" are PeerAuth servers on 127.0.0.1 ({@link FakeNode}).
 */
@QuarkusTest
@TestProfile(AllowPrivateTargetsProfile.class)
class PrivateTargetsAllowedGrpcTest extends RelayTestSupport {

    private static dev.p2psuite.proto.common.v1.Candidate candidate(CandidateKind kind, String ip, int port) {
        dev.p2psuite.proto.common.v1.Candidate.Builder c = dev.p2psuite.proto.common.v1.Candidate.newBuilder()
                .setKind(kind).setHost(ip).setPort(port);
        if (kind == CandidateKind.CANDIDATE_KIND_RELAYED) {
            c.setRelayNodeId(com.google.protobuf.ByteString.copyFrom(new byte[20]));
        }
        return c.build();
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void dialBackReportsReachableUnreachableWrongNodeAndRefused() throws Exception {
        try (FakeNode caller = new FakeNode(); FakeNode someoneElse = new FakeNode()) {
            StatsResponse before = stats();
            TestNode node = TestNode.of(caller.key, "127.0.0.1");
            DialBackResponse r = node.blocking(channel).dialBack(DialBackRequest.newBuilder()
                    .addCandidates(candidate(CandidateKind.CANDIDATE_KIND_HOST, "127.0.0.1", caller.port()))
                    .addCandidates(candidate(CandidateKind.CANDIDATE_KIND_SERVER_REFLEXIVE, "127.0.0.1", closedPort()))
                    .addCandidates(candidate(CandidateKind.CANDIDATE_KIND_HOST, "127.0.0.1", someoneElse.port()))
                    .addCandidates(candidate(CandidateKind.CANDIDATE_KIND_HOST, "127.0.0.2", caller.port()))
                    .addCandidates(candidate(CandidateKind.CANDIDATE_KIND_RELAYED, "127.0.0.1", caller.port()))
                    .addCandidates(candidate(CandidateKind.CANDIDATE_KIND_HOST, "localhost", caller.port()))
                    .build());
            assertThat(r.getResultsList()).extracting(DialBackResult::getOutcome).containsExactly(
                    DialBackOutcome.DIAL_BACK_OUTCOME_REACHABLE,
                    DialBackOutcome.DIAL_BACK_OUTCOME_UNREACHABLE,
                    DialBackOutcome.DIAL_BACK_OUTCOME_WRONG_NODE,
                    DialBackOutcome.DIAL_BACK_OUTCOME_REFUSED,  // not the observed IP
                    DialBackOutcome.DIAL_BACK_OUTCOME_REFUSED,  // relayed
                    DialBackOutcome.DIAL_BACK_OUTCOME_REFUSED); // a name
            assertThat(r.getResults(0).getRttMs()).isPositive();
            assertThat(r.getResults(1).getRttMs()).isZero();
            assertThat(r.getResults(3).getCandidate().getHost()).isEqualTo("127.0.0.2");
            assertThat(stats().getDialBacks() - before.getDialBacks()).isEqualTo(1);
        }
    }

    /** TURN-style: the relay checks who answers at the address, connects, and an unmodified gRPC handshake runs. */
    @Test
    void aCircuitToANodeAtAnAddressCarriesGrpc() throws Exception {
        try (FakeNode target = new FakeNode()) {
            TestNode a = TestNode.at(freshIp());
            StatsResponse before = stats();
            SocketBridge bridge = SocketBridge.open(a.async(channel), target.id(), "127.0.0.1", target.port());
            bridge.opened.get(10, TimeUnit.SECONDS);
            ManagedChannel overCircuit = GrpcChannels.open("127.0.0.1:" + bridge.listenLocally());
            try {
                PeerHandshake.PeerSession session = PeerHandshake.authenticate(overCircuit, a.key, a.record,
                        target.id(), new SecureRandom());
                assertThat(session.responder().nodeId()).isEqualTo(target.id());
            } finally {
                overCircuit.shutdownNow();
            }
            bridge.closed.get(10, TimeUnit.SECONDS);
            StatsResponse after = stats();
            assertThat(after.getCircuitsOpened() - before.getCircuitsOpened()).isEqualTo(1);
            assertThat(after.getBytesRelayed()).isGreaterThan(before.getBytesRelayed());
        }
    }

    @Test
    void aCircuitToAnAddressWhereAnotherNodeAnswersIsUnavailable() throws Exception {
        try (FakeNode somebody = new FakeNode()) {
            TestNode a = TestNode.at(freshIp());
            NodeId expected = TestNode.at(freshIp()).id();
            Status s = CircuitEndpoint.open(a.async(channel), expected, "127.0.0.1", somebody.port()).closed
                    .get(10, TimeUnit.SECONDS);
            assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(s.getDescription()).contains(expected.toHex(), somebody.id().toHex());
            Status closed = CircuitEndpoint.open(a.async(channel), expected, "127.0.0.1", closedPort()).closed
                    .get(10, TimeUnit.SECONDS);
            assertThat(closed.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        }
    }

    @Test
    void unspecifiedAndMulticastTargetsStayRefusedEvenSo() throws Exception {
        TestNode a = TestNode.at(freshIp());
        for (String host : new String[] {"0.0.0.0", "::", "::ffff:0.0.0.0", "224.0.0.1"}) {
            Status s = CircuitEndpoint.open(a.async(channel), TestNode.at(freshIp()).id(), host, 7000).closed
                    .get(10, TimeUnit.SECONDS);
            assertThat(s.getCode()).as(host).isEqualTo(Status.Code.PERMISSION_DENIED);
        }
    }

    /**
     * The DCUtR exchange with this node as responder: CONNECT answered with the node's direct candidates, SYNC
     * followed by a dial of the initiator's candidates, RESULT both ways.
     */
    @Test
    void holePunchAnswersConnectDialsAfterSyncAndReportsTheResult() throws Exception {
        try (FakeNode initiator = new FakeNode()) {
            StatsResponse before = stats();
            TestNode node = TestNode.of(initiator.key, freshIp());
            BlockingQueue<HolePunchResponse> responses = new LinkedBlockingQueue<>();
            CompletableFuture<Status> closed = new CompletableFuture<>();
            StreamObserver<HolePunchRequest> requests = node.async(channel).holePunch(new StreamObserver<>() {
                @Override
                public void onNext(HolePunchResponse value) {
                    responses.add(value);
                }

                @Override
                public void onError(Throwable t) {
                    closed.complete(Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                    closed.complete(Status.OK);
                }
            });
            requests.onNext(HolePunchRequest.newBuilder().setConnect(HolePunchConnect.newBuilder()
                    .addCandidates(candidate(CandidateKind.CANDIDATE_KIND_SERVER_REFLEXIVE, "127.0.0.1", closedPort()))
                    .addCandidates(candidate(CandidateKind.CANDIDATE_KIND_HOST, "127.0.0.1", initiator.port()))
                    .addCandidates(candidate(CandidateKind.CANDIDATE_KIND_RELAYED, "127.0.0.1", 7000))).build());
            HolePunchResponse connect = responses.poll(10, TimeUnit.SECONDS);
            assertThat(connect).isNotNull();
            assertThat(connect.getConnect().getCandidatesList()).extracting(c -> c.getHost() + ":" + c.getPort())
                    .containsExactly("10.9.8.7:7000", FakeGateway.PUBLIC_HOST + ":" + FakeGateway.PUBLIC_PORT);

            requests.onNext(HolePunchRequest.newBuilder().setSync(HolePunchSync.newBuilder()
                    .setRttMs(2).setDialDelayMs(0).setAttempt(1)).build());
            HolePunchResponse result = responses.poll(10, TimeUnit.SECONDS);
            assertThat(result).isNotNull();
            assertThat(result.getResult().getSuccess()).isTrue();
            assertThat(result.getResult().getAttempt()).isEqualTo(1);
            assertThat(result.getResult().getConnectedTo().getPort()).isEqualTo(initiator.port());

            requests.onNext(HolePunchRequest.newBuilder().setResult(HolePunchResult.newBuilder()
                    .setSuccess(true).setAttempt(1)).build());
            requests.onCompleted();
            assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
            StatsResponse after = stats();
            assertThat(after.getHolePunchAttempts() - before.getHolePunchAttempts()).isEqualTo(1);
            assertThat(after.getHolePunchSuccesses() - before.getHolePunchSuccesses()).isEqualTo(1);
        }
    }

    /**
     * {@code carry_peer_rpcs}: the responder announces its direct addresses on a fresh punch port, dials from that
     * very port at SYNC, and splices the connection to its own gateway (here the fake one), so gRPC runs over it.
     */
    @Test
    void aCarryingHolePunchDialsFromTheAnnouncedPortAndSplicesToTheGateway() throws Exception {
        TestNode node = TestNode.at(freshIp());
        try (ServerSocket initiator = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket local = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            BlockingQueue<HolePunchResponse> responses = new LinkedBlockingQueue<>();
            StreamObserver<HolePunchRequest> requests = node.async(channel).holePunch(new StreamObserver<>() {
                @Override
                public void onNext(HolePunchResponse value) {
                    responses.add(value);
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            });
            requests.onNext(HolePunchRequest.newBuilder().setConnect(HolePunchConnect.newBuilder().setCarryPeerRpcs(true)
                    .addCandidates(candidate(CandidateKind.CANDIDATE_KIND_HOST, "127.0.0.1", initiator.getLocalPort())))
                    .build());
            HolePunchResponse connect = responses.poll(10, TimeUnit.SECONDS);
            assertThat(connect).isNotNull();
            int punchPort = connect.getConnect().getCandidates(0).getPort();
            assertThat(punchPort).isNotEqualTo(FakeGateway.PUBLIC_PORT);
            assertThat(connect.getConnect().getCandidatesList()).extracting(c -> c.getHost() + ":" + c.getPort())
                    .containsExactly("10.9.8.7:" + punchPort, FakeGateway.PUBLIC_HOST + ":" + punchPort);
            requests.onNext(HolePunchRequest.newBuilder().setSync(HolePunchSync.newBuilder()
                    .setRttMs(2).setDialDelayMs(0).setAttempt(1)).build());
            initiator.setSoTimeout(10_000);
            java.net.Socket punched = initiator.accept();
            assertThat(punched.getPort()).as("dialled from the announced punch port").isEqualTo(punchPort);
            HolePunchResponse result = responses.poll(10, TimeUnit.SECONDS);
            assertThat(result.getResult().getSuccess()).isTrue();
            assertThat(result.getResult().getConnectedTo().getPort()).isEqualTo(initiator.getLocalPort());
            // The punched connection reaches the node's gateway: a gRPC call over it is answered there.
            ManagedChannel overPunch = GrpcChannels.open("127.0.0.1:" + local.getLocalPort());
            try {
                Thread acceptor = new Thread(() -> {
                    try {
                        PunchPort.pipe(local.accept(), punched, "test");
                    } catch (java.io.IOException ignored) {
                        // the assertion below fails
                    }
                });
                acceptor.start();
                var record = dev.p2psuite.proto.gateway.v1.GatewayInternalGrpc.newBlockingStub(overPunch)
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .selfRecord(dev.p2psuite.proto.gateway.v1.SelfRecordRequest.getDefaultInstance());
                assertThat(record.getRecord().getRecord().getCandidatesList()).isNotEmpty();
            } finally {
                overPunch.shutdownNow();
            }
            requests.onNext(HolePunchRequest.newBuilder().setResult(HolePunchResult.newBuilder()
                    .setSuccess(true).setAttempt(1)).build());
            requests.onCompleted();
        }
    }

    @Test
    void holePunchFramesOutOfOrderAreInvalid() throws Exception {
        TestNode node = TestNode.at(freshIp());
        CompletableFuture<Status> closed = new CompletableFuture<>();
        StreamObserver<HolePunchRequest> requests = node.async(channel).holePunch(new StreamObserver<>() {
            @Override
            public void onNext(HolePunchResponse value) {
            }

            @Override
            public void onError(Throwable t) {
                closed.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                closed.complete(Status.OK);
            }
        });
        requests.onNext(HolePunchRequest.newBuilder().setSync(HolePunchSync.newBuilder().setAttempt(1)).build());
        Status s = closed.get(10, TimeUnit.SECONDS);
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).contains("out of order");
        requests.onCompleted();
    }
}
