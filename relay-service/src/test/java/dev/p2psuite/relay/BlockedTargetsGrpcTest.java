package dev.p2psuite.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.proto.common.v1.CandidateKind;
import dev.p2psuite.proto.relay.v1.DialBackOutcome;
import dev.p2psuite.proto.relay.v1.DialBackRequest;
import dev.p2psuite.proto.relay.v1.DialBackResponse;
import dev.p2psuite.proto.relay.v1.DialBackResult;
import dev.p2psuite.proto.relay.v1.StatsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * By default the relay dials nothing in loopback, private, link-local, CGNAT, multicast or unspecified ranges
 * (IPv4-mapped IPv6 forms included) on a remote node's behalf: circuits to such addresses get PERMISSION_DENIED
 * and dial-backs to them REFUSED, before any connection is attempted. A real listener on 127.0.0.1 checks that
 * nothing connects to it.
 */
@QuarkusTest
class BlockedTargetsGrpcTest extends RelayTestSupport {

    private static dev.p2psuite.proto.common.v1.Candidate host(String ip, int port) {
        return dev.p2psuite.proto.common.v1.Candidate.newBuilder().setKind(CandidateKind.CANDIDATE_KIND_HOST)
                .setHost(ip).setPort(port).build();
    }

    /** Counts connections to a local listener during {@code body}. */
    private static int connectionsDuring(ThrowingConsumer<Integer> body) throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            listener.setSoTimeout(100);
            AtomicInteger accepted = new AtomicInteger();
            Thread acceptor = new Thread(() -> {
                while (!listener.isClosed()) {
                    try {
                        listener.accept().close();
                        accepted.incrementAndGet();
                    } catch (SocketTimeoutException e) {
                        // poll again
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            body.accept(listener.getLocalPort());
            Thread.sleep(300);
            return accepted.get();
        }
    }

    interface ThrowingConsumer<T> {
        void accept(T t) throws Exception;
    }

    @Test
    void circuitsToBlockedAddressesAreRefusedBeforeAnyDial() throws Exception {
        StatsResponse before = stats();
        TestNode a = TestNode.at(freshIp());
        TestNode target = TestNode.at(freshIp());
        List<String> blocked = List.of("127.0.0.1", "localhost", "::1", "[::1]", "::ffff:127.0.0.1", "10.1.2.3",
                "172.16.0.1", "192.168.1.1", "::ffff:192.168.1.1", "169.254.169.254", "fe80::1", "fd00::1",
                "100.64.0.1", "0.0.0.0", "::", "224.0.0.1", "255.255.255.255");
        int connections = connectionsDuring(port -> {
            for (String host : blocked) {
                CircuitEndpoint end = CircuitEndpoint.open(a.async(channel), target.id(), host, port);
                Status s = end.closed.get(10, TimeUnit.SECONDS);
                assertThat(s.getCode()).as(host + ": " + s).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(s.getDescription()).as(host).contains("is refused", "address");
            }
        });
        assertThat(connections).as("connections the relay made").isZero();
        Status loopback = CircuitEndpoint.open(a.async(channel), target.id(), "127.0.0.1", 7000).closed
                .get(10, TimeUnit.SECONDS);
        assertThat(loopback.getDescription()).contains("loopback", "p2p.relay.allow-private-targets");
        assertThat(stats().getCircuitsRefused() - before.getCircuitsRefused()).isEqualTo(blocked.size() + 1);
    }

    @Test
    void dialBacksToBlockedAddressesAreRefusedEvenAtTheCallersOwnAddress() throws Exception {
        int[] connections = new int[1];
        DialBackResponse[] answers = new DialBackResponse[2];
        connections[0] = connectionsDuring(port -> {
            answers[0] = TestNode.at("127.0.0.1").blocking(channel).dialBack(DialBackRequest.newBuilder()
                    .addCandidates(host("127.0.0.1", port)).addCandidates(host("::ffff:127.0.0.1", port)).build());
            answers[1] = TestNode.at("10.0.0.5").blocking(channel).dialBack(DialBackRequest.newBuilder()
                    .addCandidates(host("10.0.0.5", port)).build());
        });
        assertThat(connections[0]).isZero();
        assertThat(answers[0].getResultsList()).extracting(DialBackResult::getOutcome)
                .containsExactly(DialBackOutcome.DIAL_BACK_OUTCOME_REFUSED, DialBackOutcome.DIAL_BACK_OUTCOME_REFUSED);
        assertThat(answers[1].getResults(0).getOutcome()).isEqualTo(DialBackOutcome.DIAL_BACK_OUTCOME_REFUSED);
        assertThat(answers[1].getResults(0).getCandidate().getHost()).isEqualTo("10.0.0.5");
    }

    @Test
    void dialBackChecksItsRequest() {
        TestNode node = TestNode.at(freshIp());
        assertThatThrownBy(() -> node.blocking(channel).dialBack(DialBackRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("1..8");
                });
        DialBackRequest.Builder nine = DialBackRequest.newBuilder();
        for (int i = 0; i < 9; i++) {
            nine.addCandidates(host("203.0.113.1", 7000 + i));
        }
        assertThatThrownBy(() -> node.blocking(channel).dialBack(nine.build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        assertThatThrownBy(() -> node.blocking(channel).dialBack(DialBackRequest.newBuilder()
                .addCandidates(host("203.0.113.1", 0)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("candidates[0]", "port");
                });
        assertThatThrownBy(() -> node.seenAt(null).blocking(channel).dialBack(DialBackRequest.newBuilder()
                .addCandidates(host("203.0.113.1", 7000)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    }
}
