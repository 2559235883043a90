package dev.p2psuite.relay;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.relay.v1.ConnectOpen;
import dev.p2psuite.proto.relay.v1.ConnectOpened;
import dev.p2psuite.proto.relay.v1.ConnectRequest;
import dev.p2psuite.proto.relay.v1.IncomingCircuit;
import dev.p2psuite.proto.relay.v1.ReserveRequest;
import dev.p2psuite.proto.relay.v1.StatsResponse;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.PeerHandshake;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.quarkus.test.junit.QuarkusTest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Relayed circuits over real gRPC: two clients of relay-service, an initiator and a reserving node, as the node's
 * gateway would forward them. Test profile: byte budget 128 MiB, time budget 10 min, 3 circuits per reservation.
 */
@QuarkusTest
class CircuitGrpcTest extends RelayTestSupport {

    static final int PIECE = 262_144;
    static final long BUDGET = 134_217_728L;

    /** Both ends of an open circuit. */
    record Pair(TestNode initiator, TestNode target, CircuitEndpoint a, CircuitEndpoint b, ListenStream listen) {
    }

    private ListenStream reserveAndListen(TestNode target) throws Exception {
        target.blocking(channel).reserve(ReserveRequest.getDefaultInstance());
        ListenStream listen = ListenStream.start(target.async(channel));
        listen.awaitFirst();
        return listen;
    }

    private Pair circuit(boolean targetReadsFromTheStart) throws Exception {
        TestNode a = TestNode.at(freshIp());
        TestNode b = TestNode.at(freshIp());
        ListenStream listen = reserveAndListen(b);
        CircuitEndpoint initiator = CircuitEndpoint.open(a.async(channel), b.id());
        IncomingCircuit incoming = listen.nextIncoming(Duration.ofSeconds(10));
        assertThat(incoming.getInitiatorNodeId().toByteArray()).isEqualTo(a.id().bytes());
        assertThat(incoming.getAcceptByUnixMs()).isBetween(clock.millis() + 9_000, clock.millis() + 10_000);
        CircuitEndpoint target = CircuitEndpoint.accept(b.async(channel), incoming.getCircuitId());
        if (!targetReadsFromTheStart) {
            target.pause();
        }
        ConnectOpened toA = initiator.opened.get(10, TimeUnit.SECONDS);
        ConnectOpened toB = target.opened.get(10, TimeUnit.SECONDS);
        assertThat(toA.getCircuitId()).isEqualTo(incoming.getCircuitId()).isEqualTo(toB.getCircuitId());
        assertThat(toA.getPeerNodeId().toByteArray()).isEqualTo(b.id().bytes());
        assertThat(toB.getPeerNodeId().toByteArray()).isEqualTo(a.id().bytes());
        assertThat(toA.getMaxBytes()).isEqualTo(BUDGET);
        assertThat(toA.getMaxSeconds()).isEqualTo(600);
        return new Pair(a, b, initiator, target, listen);
    }

    @Test
    void bytesFlowBothWaysAtOnceIntactAndAreCounted() throws Exception {
        StatsResponse before = stats();
        Pair p = circuit(true);
        long each = 12L * PIECE + 12_345; // not a multiple of the frame size
        p.a().send(each, PIECE, 1, true);
        p.b().send(each, 65_536, 2, true);

        assertThat(p.a().closed.get(60, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
        assertThat(p.b().closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
        assertThat(p.b().received.get()).isEqualTo(each);
        assertThat(p.a().received.get()).isEqualTo(each);
        assertThat(p.b().receivedDigest()).isEqualTo(p.a().sentDigest());
        assertThat(p.a().receivedDigest()).isEqualTo(p.b().sentDigest());
        assertThat(p.a().peerHalfClosed).isDone();

        StatsResponse after = stats();
        assertThat(after.getCircuitsOpened() - before.getCircuitsOpened()).isEqualTo(1);
        assertThat(after.getBytesRelayed() - before.getBytesRelayed()).isEqualTo(2 * each);
        assertThat(after.getCircuitsActive()).isZero();
    }

    /**
     * The target stops reading while the initiator sends 100 MiB as fast as flow control allows: the initiator
     * stalls after about one HTTP/2 window (the target's 16 MiB client window plus the relay's one frame and its
     * 64 KiB stream window), far below what it offered, so the relay cannot have buffered the rest. When the target
     * reads again, everything arrives intact.
     */
    @Test
    void aSlowReaderPacesTheSenderInsteadOfFillingTheRelay() throws Exception {
        Pair p = circuit(false);
        long offered = 100L * 1_048_576;
        p.a().send(offered, PIECE, 3, true);

        long stalledAt = awaitStall(p.a());
        System.out.printf("slow reader: the sender stalled after %d of %d bytes%n", stalledAt, offered);
        assertThat(stalledAt).as("bytes the initiator got out while the target read nothing")
                .isGreaterThan(0).isLessThan(40L * 1_048_576);
        assertThat(p.b().received.get()).isZero();
        assertThat(p.a().sendDone).isNotDone();
        long relayedWhileStalled = stats().getBytesRelayed();
        Thread.sleep(500);
        assertThat(stats().getBytesRelayed()).as("the relay stopped reading too").isEqualTo(relayedWhileStalled);

        p.b().resume();
        assertThat(p.a().sendDone.get(60, TimeUnit.SECONDS)).isNull();
        p.b().halfClose();
        assertThat(p.b().closed.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
        assertThat(p.b().received.get()).isEqualTo(offered);
        assertThat(p.b().receivedDigest()).isEqualTo(p.a().sentDigest());
    }

    /** Waits until the sender has made no progress for a second; returns how far it got. */
    private static long awaitStall(CircuitEndpoint sender) throws InterruptedException {
        long last = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            long now = sender.sent.get();
            if (now == last && now > 0) {
                return now;
            }
            last = now;
            Thread.sleep(1_000);
        }
        throw new AssertionError("the sender never stalled: " + sender.sent.get() + " bytes sent");
    }

    @Test
    void usingUpTheByteBudgetClosesBothEndsWithResourceExhausted() throws Exception {
        StatsResponse before = stats();
        Pair p = circuit(true);
        p.a().send(2 * BUDGET, PIECE, 4, false);

        Status atA = p.a().closed.get(60, TimeUnit.SECONDS);
        Status atB = p.b().closed.get(10, TimeUnit.SECONDS);
        assertThat(atA.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(atA.getDescription()).contains("byte budget of 134217728 bytes", "p2p.relay.circuit-max-bytes");
        assertThat(atB.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(p.b().received.get()).as("every byte within the budget, none beyond").isEqualTo(BUDGET);
        StatsResponse after = stats();
        assertThat(after.getCircuitsOverBudget() - before.getCircuitsOverBudget()).isEqualTo(1);
        assertThat(after.getBytesRelayed() - before.getBytesRelayed()).isEqualTo(BUDGET);
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("p2p_relay_circuits_over_budget_total{budget=\"bytes\"}"));
    }

    @Test
    void usingUpTheTimeBudgetClosesBothEndsWithResourceExhausted() throws Exception {
        Pair p = circuit(true);
        p.a().send(PIECE, PIECE, 5, false);
        await().atMost(Duration.ofSeconds(10)).until(() -> p.b().received.get() == PIECE);
        clock.advance(Duration.ofMinutes(10));
        Status atA = p.a().closed.get(10, TimeUnit.SECONDS);
        assertThat(atA.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(atA.getDescription()).contains("time budget of 600 s", "p2p.relay.circuit-max-duration");
        assertThat(p.b().closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    }

    @Test
    void aHalfCloseIsPassedOnAndTheCircuitEndsOnceBothEndsHalfClosed() throws Exception {
        Pair p = circuit(true);
        p.a().send(3 * PIECE, PIECE, 6, true);
        p.b().peerHalfClosed.get(10, TimeUnit.SECONDS);
        assertThat(p.b().received.get()).as("the half-close comes after the data").isEqualTo(3 * PIECE);
        assertThat(p.a().closed).isNotDone();
        p.b().send(2 * PIECE, PIECE, 7, false); // the other direction still works
        await().atMost(Duration.ofSeconds(10)).until(() -> p.a().received.get() == 2 * PIECE);
        p.b().halfClose();
        assertThat(p.a().closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
        assertThat(p.b().closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.OK);
    }

    @Test
    void cancellingOneEndCancelsTheOtherWithAReason() throws Exception {
        Pair p = circuit(true);
        p.a().cancel();
        Status atB = p.b().closed.get(10, TimeUnit.SECONDS);
        assertThat(atB.getCode()).isEqualTo(Status.Code.CANCELLED);
        assertThat(atB.getDescription()).contains(p.initiator().id().toHex(), "cancelled");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats().getCircuitsActive() == 0);
    }

    @Test
    void circuitsAreRefusedWithPreciseStatuses() throws Exception {
        TestNode a = TestNode.at(freshIp());
        TestNode b = TestNode.at(freshIp());
        assertClosed(CircuitEndpoint.open(a.async(channel), b.id()), Status.Code.NOT_FOUND, "holds no reservation");
        b.blocking(channel).reserve(ReserveRequest.getDefaultInstance());
        assertClosed(CircuitEndpoint.open(a.async(channel), b.id()), Status.Code.UNAVAILABLE, "no Listen stream");
        ListenStream listen = ListenStream.start(b.async(channel));
        listen.awaitFirst();
        assertClosed(CircuitEndpoint.open(a.withoutRecord().async(channel), b.id()), Status.Code.PERMISSION_DENIED,
                "signed peer record");
        assertClosed(CircuitEndpoint.open(b.async(channel), b.id()), Status.Code.INVALID_ARGUMENT, "itself");
        assertClosed(CircuitEndpoint.raw(a.async(channel), ConnectRequest.newBuilder()
                        .setData(ByteString.copyFromUtf8("hello")).build()), Status.Code.INVALID_ARGUMENT,
                "first Connect frame must be open");
        assertClosed(CircuitEndpoint.raw(a.async(channel), ConnectRequest.newBuilder().setOpen(ConnectOpen.newBuilder()
                        .setTargetNodeId(ByteString.copyFrom(new byte[19]))).build()), Status.Code.INVALID_ARGUMENT,
                "target_node_id must be 20 bytes");
        assertClosed(CircuitEndpoint.accept(b.async(channel), ByteString.copyFrom(new byte[16])),
                Status.Code.NOT_FOUND, "no circuit");

        CircuitEndpoint waiting = CircuitEndpoint.open(a.async(channel), b.id());
        IncomingCircuit incoming = listen.nextIncoming(Duration.ofSeconds(10));
        TestNode c = TestNode.at(freshIp());
        assertClosed(CircuitEndpoint.accept(c.async(channel), incoming.getCircuitId()), Status.Code.NOT_FOUND,
                "no circuit");
        CircuitEndpoint accepted = CircuitEndpoint.accept(b.async(channel), incoming.getCircuitId());
        accepted.opened.get(10, TimeUnit.SECONDS);
        waiting.sendFrame(ConnectRequest.newBuilder().setData(ByteString.EMPTY).build());
        assertClosed(waiting, Status.Code.INVALID_ARGUMENT, "1..1047552 bytes");
        assertClosed(accepted, Status.Code.CANCELLED, "invalid frame");
    }

    private static void assertClosed(CircuitEndpoint end, Status.Code code, String text) throws Exception {
        Status s = end.closed.get(10, TimeUnit.SECONDS);
        assertThat(s.getCode()).as(String.valueOf(s)).isEqualTo(code);
        assertThat(s.getDescription()).contains(text);
    }

    @Test
    void aCircuitNotAcceptedInTimeFailsWithUnavailable() throws Exception {
        TestNode a = TestNode.at(freshIp());
        TestNode b = TestNode.at(freshIp());
        ListenStream listen = reserveAndListen(b);
        CircuitEndpoint initiator = CircuitEndpoint.open(a.async(channel), b.id());
        IncomingCircuit incoming = listen.nextIncoming(Duration.ofSeconds(10));
        clock.advance(Duration.ofSeconds(10));
        assertClosed(initiator, Status.Code.UNAVAILABLE, "did not accept the circuit");
        assertClosed(CircuitEndpoint.accept(b.async(channel), incoming.getCircuitId()), Status.Code.NOT_FOUND,
                "deadline");
    }

    @Test
    void theCircuitOneOverThePerReservationLimitIsRefused() throws Exception {
        TestNode b = TestNode.at(freshIp());
        ListenStream listen = reserveAndListen(b);
        List<CircuitEndpoint> open = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            open.add(CircuitEndpoint.open(TestNode.at(freshIp()).async(channel), b.id()));
            listen.nextIncoming(Duration.ofSeconds(10));
        }
        assertClosed(CircuitEndpoint.open(TestNode.at(freshIp()).async(channel), b.id()),
                Status.Code.RESOURCE_EXHAUSTED, "p2p.relay.max-circuits-per-reservation");
        open.get(0).cancel(); // frees its slot
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            CircuitEndpoint again = CircuitEndpoint.open(TestNode.at(freshIp()).async(channel), b.id());
            assertThat(listen.nextIncoming(Duration.ofSeconds(5))).isNotNull();
            again.cancel();
        });
    }

    /**
     * The circuit carries an unmodified gRPC connection: the initiator's channel runs PeerAuth's full handshake
     * with the reserving node's gateway through the relay, and the node that answers is the one reached.
     */
    @Test
    void peerRpcsRunUnchangedOverAReservedCircuit() throws Exception {
        try (FakeNode gatewayOfB = new FakeNode()) {
            TestNode a = TestNode.at(freshIp());
            TestNode b = TestNode.of(gatewayOfB.key, freshIp());
            ListenStream listen = reserveAndListen(b);
            SocketBridge atA = SocketBridge.open(a.async(channel), b.id(), "", 0);
            IncomingCircuit incoming = listen.nextIncoming(Duration.ofSeconds(10));
            SocketBridge atB = SocketBridge.accept(b.async(channel), incoming.getCircuitId(), gatewayOfB.port());
            atA.opened.get(10, TimeUnit.SECONDS);
            ManagedChannel overCircuit = GrpcChannels.open("127.0.0.1:" + atA.listenLocally());
            try {
                PeerHandshake.PeerSession session = PeerHandshake.authenticate(overCircuit, a.key, a.record, b.id(),
                        new SecureRandom());
                assertThat(session.responder().nodeId()).isEqualTo(b.id());
                assertThat(session.token()).isNotEmpty();
            } finally {
                overCircuit.shutdownNow();
            }
            assertThat(atB.closed.get(10, TimeUnit.SECONDS).getCode()).as("A's connection closed: circuit ends")
                    .isIn(Status.Code.OK, Status.Code.CANCELLED);
        }
    }

    @Test
    void metricsShowReservationsCircuitsRefusalsAndBytes() throws Exception {
        Pair p = circuit(true);
        p.a().send(PIECE, PIECE, 8, true);
        p.b().halfClose();
        p.a().closed.get(10, TimeUnit.SECONDS);
        CircuitEndpoint.open(TestNode.at(freshIp()).async(channel), TestNode.at(freshIp()).id())
                .closed.get(10, TimeUnit.SECONDS);
        String metrics = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(metrics).contains("p2p_relay_reservations_active", "p2p_relay_reservations_granted_total",
                "p2p_relay_reservations_refused_total{reason=\"per_ip\"}", "p2p_relay_circuits_active",
                "p2p_relay_circuits_pending", "p2p_relay_circuits_opened_total",
                "p2p_relay_circuits_refused_total{reason=\"no_reservation\"}", "p2p_relay_relayed_bytes_total",
                "p2p_relay_dial_backs_total", "p2p_relay_hole_punch_attempts_total");
        double relayed = metricValue(metrics, "p2p_relay_relayed_bytes_total");
        assertThat(relayed).isGreaterThanOrEqualTo(PIECE);
        assertThat(metricValue(metrics, "p2p_relay_circuits_refused_total{reason=\"no_reservation\"}"))
                .isGreaterThanOrEqualTo(1);
    }

    static double metricValue(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l ->
                Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + name));
    }
}
