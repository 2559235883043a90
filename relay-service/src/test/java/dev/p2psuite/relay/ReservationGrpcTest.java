package dev.p2psuite.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.common.v1.CandidateKind;
import dev.p2psuite.proto.relay.v1.RelayInternalGrpc;
import dev.p2psuite.proto.relay.v1.ReservationsRequest;
import dev.p2psuite.proto.relay.v1.ReservationsResponse;
import dev.p2psuite.proto.relay.v1.ReserveRequest;
import dev.p2psuite.proto.relay.v1.ReserveResponse;
import dev.p2psuite.proto.relay.v1.ServedReservation;
import dev.p2psuite.proto.relay.v1.StatsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Reservations over real gRPC, called as the node's gateway calls relay-service (with the caller's authenticated
 * ID, address and record as metadata). Test profile: 4 reservations in total, 2 per IP, 1 h lifetime.
 */
@QuarkusTest
class ReservationGrpcTest extends RelayTestSupport {

    @ConfigProperty(name = "test.relay.record")
    String relayRecord;

    private ReserveResponse reserve(TestNode node) {
        return node.blocking(channel).reserve(ReserveRequest.getDefaultInstance());
    }

    private static Status.Code codeOf(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        return Status.Code.OK;
    }

    private static StatusRuntimeException failure(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("the call succeeded");
    }

    private SignedPeerRecord relayRecord() throws Exception {
        return PeerRecords.fromProto(dev.p2psuite.proto.common.v1.SignedPeerRecord.parseFrom(
                Base64.getDecoder().decode(relayRecord)), "relay");
    }

    @Test
    void aReservationHandsOutTheRelayedCandidateAndTheCircuitLimits() throws Exception {
        TestNode node = TestNode.at(freshIp());
        long before = clock.millis();

        ReserveResponse r = reserve(node);

        assertThat(r.getExpiresAtUnixMs()).isBetween(before + 3_600_000, clock.millis() + 3_600_000);
        assertThat(r.getCircuitMaxBytes()).isEqualTo(134_217_728L);
        assertThat(r.getCircuitMaxSeconds()).isEqualTo(600);
        assertThat(r.getMaxCircuits()).isEqualTo(3);
        assertThat(r.getRelayedCandidate().getKind()).isEqualTo(CandidateKind.CANDIDATE_KIND_RELAYED);
        assertThat(r.getRelayedCandidate().getHost()).as("the record's public address, not its LAN one")
                .isEqualTo(FakeGateway.PUBLIC_HOST);
        assertThat(r.getRelayedCandidate().getPort()).isEqualTo(FakeGateway.PUBLIC_PORT);
        assertThat(r.getRelayedCandidate().getRelayNodeId().toByteArray()).isEqualTo(relayRecord().nodeId().bytes());
        // and it is a valid relayed candidate for the node's signed record
        new Candidate(Candidate.Kind.RELAYED, r.getRelayedCandidate().getHost(), r.getRelayedCandidate().getPort(),
                dev.p2psuite.identity.NodeId.of(r.getRelayedCandidate().getRelayNodeId().toByteArray()));
    }

    @Test
    void renewalExtendsTheReservationAndWithoutItTheReservationExpiresAndItsListenEnds() throws Exception {
        TestNode node = TestNode.at(freshIp());
        ReserveResponse first = reserve(node);
        ListenStream listen = ListenStream.start(node.async(channel));
        assertThat(listen.awaitFirst().getHeartbeat().getReservationExpiresAtUnixMs())
                .isEqualTo(first.getExpiresAtUnixMs());

        clock.advance(Duration.ofMinutes(45));
        ReserveResponse renewed = reserve(node);
        assertThat(renewed.getExpiresAtUnixMs()).isGreaterThanOrEqualTo(first.getExpiresAtUnixMs() + 45 * 60_000);
        ServedReservation served = served(node);
        assertThat(served.getListening()).as("a renewal keeps the Listen stream").isTrue();
        assertThat(served.getExpiresAtUnixMs()).isEqualTo(renewed.getExpiresAtUnixMs());
        assertThat(served.getSourceIp()).isEqualTo(node.address.substring(0, node.address.lastIndexOf(':')));
        // heartbeats report the renewed expiry
        await().atMost(Duration.ofSeconds(5)).until(() -> listen.events.stream().anyMatch(e ->
                e.hasHeartbeat() && e.getHeartbeat().getReservationExpiresAtUnixMs() == renewed.getExpiresAtUnixMs()));

        clock.advance(Duration.ofMinutes(59));
        assertThat(listen.closed).isNotDone();
        clock.advance(Duration.ofMinutes(2));
        assertThat(listen.closed.get(10, TimeUnit.SECONDS).getCode()).as("Listen ends with OK on expiry")
                .isEqualTo(Status.Code.OK);
        assertThat(reservations().getServedList()).noneMatch(s -> s.getNodeId().equals(idOf(node)));
        assertThat(codeOf(() -> ListenStream.start(node.async(channel)).awaitFirstOrFail()))
                .isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void theReservationPerIpOneOverTheLimitIsRefusedAndRenewalAtTheLimitIsNot() {
        String ip = freshIp();
        TestNode a = TestNode.at(ip);
        TestNode b = TestNode.at(ip);
        TestNode c = TestNode.at(ip);
        reserve(a);
        reserve(b);
        StatusRuntimeException refused = failure(() -> reserve(c));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getStatus().getDescription()).contains(ip, "p2p.relay.max-reservations-per-ip");
        assertThat(failure(() -> reserve(c.seenAt("[::ffff:" + ip + "]:5000"))).getStatus().getDescription())
                .as("the IPv4-mapped form is the same source").contains(ip, "p2p.relay.max-reservations-per-ip");
        assertThat(codeOf(() -> reserve(a))).as("renewing at the limit").isEqualTo(Status.Code.OK);
        assertThat(codeOf(() -> reserve(c.seenAt(freshIp() + ":1234")))).as("from another IP")
                .isEqualTo(Status.Code.OK);
    }

    @Test
    void anIpv6Slash64CountsAsOneSourceIp() {
        reserve(TestNode.at("2001:db8:77:1::a"));
        reserve(TestNode.at("2001:db8:77:1::b"));
        StatusRuntimeException refused = failure(() -> reserve(TestNode.at("2001:db8:77:1:ffff::c")));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getStatus().getDescription()).contains("2001:db8:77:1::/64");
    }

    @Test
    void theReservationOneOverTheTotalIsRefusedUntilOneExpires() {
        List<TestNode> nodes = List.of(TestNode.at(freshIp()), TestNode.at(freshIp()), TestNode.at(freshIp()),
                TestNode.at(freshIp()));
        StatsResponse before = stats();
        nodes.forEach(this::reserve);
        TestNode fifth = TestNode.at(freshIp());
        StatusRuntimeException refused = failure(() -> reserve(fifth));
        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(refused.getStatus().getDescription()).contains("4 reservations", "p2p.relay.max-reservations");
        assertThat(codeOf(() -> reserve(nodes.get(0)))).as("renewing when full").isEqualTo(Status.Code.OK);

        StatsResponse full = stats();
        assertThat(full.getReservationsActive()).isEqualTo(4);
        assertThat(full.getMaxReservations()).isEqualTo(4);
        assertThat(full.getMaxReservationsPerIp()).isEqualTo(2);
        assertThat(full.getReservationsGranted() - before.getReservationsGranted()).isEqualTo(5);
        assertThat(full.getReservationsRefused() - before.getReservationsRefused()).isEqualTo(1);

        clock.advance(Duration.ofMinutes(30));
        reserve(nodes.get(1));
        reserve(nodes.get(2));
        reserve(nodes.get(3));
        clock.advance(Duration.ofMinutes(31)); // nodes.get(0) renewed at 0 min, expires at 60
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().getReservationsActive() == 3);
        assertThat(codeOf(() -> reserve(fifth))).isEqualTo(Status.Code.OK);
    }

    @Test
    void onlyNodesWithAValidSignedRecordMayReserve() {
        TestNode node = TestNode.at(freshIp());
        StatusRuntimeException none = failure(() -> reserve(node.withoutRecord()));
        assertThat(none.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(none.getStatus().getDescription()).contains("signed peer record", "p2p-peer-record-bin");

        // altered after signing: the signature no longer verifies
        dev.p2psuite.proto.common.v1.SignedPeerRecord real = PeerRecords.toProto(node.record);
        dev.p2psuite.proto.common.v1.SignedPeerRecord altered = real.toBuilder().setRecord(real.getRecord().toBuilder()
                .setCandidates(0, real.getRecord().getCandidates(0).toBuilder().setHost("203.0.113.66"))).build();
        StatusRuntimeException forged = failure(() -> reserve(node.withRecord(altered)));
        assertThat(forged.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(forged.getStatus().getDescription()).contains("BAD_SIGNATURE");

        // the caller's ID with another node's key, signed by that key
        NodeKey other = NodeKey.generate(new SecureRandom());
        SignedPeerRecord theirs = SignedPeerRecord.sign(other, 1, List.of(Candidate.host("203.0.113.67", 7000)));
        dev.p2psuite.proto.common.v1.SignedPeerRecord impostor = PeerRecords.toProto(theirs).toBuilder()
                .setRecord(PeerRecords.toProto(theirs).getRecord().toBuilder()
                        .setNodeId(ByteString.copyFrom(node.id().bytes()))).build();
        StatusRuntimeException mismatch = failure(() -> reserve(node.withRecord(impostor)));
        assertThat(mismatch.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(mismatch.getStatus().getDescription()).contains("ID_KEY_MISMATCH");

        // another node's valid record: the interceptor drops it, so there is no record of the caller
        TestNode someoneElse = TestNode.at(freshIp());
        assertThat(codeOf(() -> reserve(node.withRecord(PeerRecords.toProto(someoneElse.record)))))
                .isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(reservations().getServedList()).noneMatch(s -> s.getNodeId().equals(idOf(node)));
    }

    @Test
    void withoutTheCallersAddressThePerIpQuotaCannotBeKeptSoReserveFails() {
        StatusRuntimeException e = failure(() -> reserve(TestNode.at(freshIp()).seenAt(null)));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(e.getStatus().getDescription()).contains("p2p-peer-addr");
    }

    @Test
    void listenNeedsAReservationAndANewListenReplacesTheOldOne() throws Exception {
        TestNode node = TestNode.at(freshIp());
        assertThat(codeOf(() -> ListenStream.start(node.async(channel)).awaitFirstOrFail()))
                .isEqualTo(Status.Code.NOT_FOUND);
        reserve(node);
        ListenStream first = ListenStream.start(node.async(channel));
        first.awaitFirst();
        // heartbeats keep coming (every 500 ms in the test profile)
        await().atMost(Duration.ofSeconds(5)).until(() -> first.events.size() >= 3);
        ListenStream second = ListenStream.start(node.async(channel));
        assertThat(second.awaitFirst().hasHeartbeat()).isTrue();
        assertThat(first.closed.get(5, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
        assertThat(served(node).getListening()).isTrue();
        second.cancel();
        await().atMost(Duration.ofSeconds(5)).until(() -> !served(node).getListening());
    }

    private ReservationsResponse reservations() {
        return RelayInternalGrpc.newBlockingStub(channel).reservations(ReservationsRequest.getDefaultInstance());
    }

    private ServedReservation served(TestNode node) {
        return reservations().getServedList().stream().filter(s -> s.getNodeId().equals(idOf(node))).findFirst()
                .orElseThrow(() -> new AssertionError("no reservation of " + node.id().toHex()));
    }

    private static ByteString idOf(TestNode node) {
        return ByteString.copyFrom(node.id().bytes());
    }
}
