package dev.p2psuite.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PeerDialerTest {

    private final SecureRandom random = new SecureRandom();
    private final NodeKey me = NodeKey.generate(random);
    private final NodeKey peer = NodeKey.generate(random);
    private final PeerDialer dialer = new PeerDialer(me,
            () -> SignedPeerRecord.sign(me, 1, List.of(Candidate.host("127.0.0.1", 1))), random);

    @AfterEach
    void close() {
        dialer.close();
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void theDirectCandidateThatConnectsIsUsedAndRemembered() throws Exception {
        try (ServerSocket listening = new ServerSocket()) {
            listening.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Candidate open = Candidate.serverReflexive("127.0.0.1", listening.getLocalPort());
            SignedPeerRecord record = SignedPeerRecord.sign(peer, 5,
                    List.of(Candidate.host("127.0.0.1", closedPort()), open));
            PeerDialer.Route route = dialer.route(record).get(10, TimeUnit.SECONDS);
            assertThat(route.via()).isEqualTo(open);
            assertThat(route.relayed()).isFalse();
            assertThat(route.kind()).isEqualTo(PeerDialer.RouteKind.DIRECT);
            assertThat(dialer.routeKinds()).containsEntry(peer.nodeId(), PeerDialer.RouteKind.DIRECT);
            assertThat(dialer.upgradeStats()).as("nothing to upgrade on a direct route")
                    .isEqualTo(new PeerDialer.UpgradeStats(0, 0, 0, 0));
            assertThat(dialer.route(record)).as("remembered").isCompletedWithValue(route);
            dialer.forget(peer.nodeId());
            assertThat(dialer.route(record).get(10, TimeUnit.SECONDS).via()).isEqualTo(open);
        }
    }

    @Test
    void withoutAWorkingDirectCandidateOrARelayTheRouteIsUnavailableAndSaysWhy() throws Exception {
        SignedPeerRecord record = SignedPeerRecord.sign(peer, 5, List.of(Candidate.host("127.0.0.1", closedPort())));
        assertThatThrownBy(() -> dialer.route(record).join())
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).contains(peer.nodeId().toHex(), "lists no relay");
                });
    }

    @Test
    void aRecordIsRelayedWhenItListsARelay() {
        SignedPeerRecord direct = SignedPeerRecord.sign(peer, 1, List.of(Candidate.host("10.0.0.1", 7000)));
        SignedPeerRecord relayed = SignedPeerRecord.sign(peer, 2, List.of(Candidate.host("10.0.0.1", 7000),
                Candidate.relayed("198.18.0.100", 7000, me.nodeId())));
        assertThat(PeerDialer.hasRelayed(direct)).isFalse();
        assertThat(PeerDialer.hasRelayed(relayed)).isTrue();
    }
}
