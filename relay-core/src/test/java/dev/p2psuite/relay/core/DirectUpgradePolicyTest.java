package dev.p2psuite.relay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.NodeId;
import dev.p2psuite.relay.core.DirectUpgradePolicy.Decision;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DirectUpgradePolicyTest {

    private final ManualClock clock = new ManualClock();
    private final DirectUpgradePolicy policy = new DirectUpgradePolicy(new DirectUpgradePolicy.Settings(true, 3,
            Duration.ofSeconds(30), Duration.ofMinutes(2), 2), clock);
    private final NodeId peer = id(1);

    private static NodeId id(int n) {
        byte[] b = new byte[20];
        b[19] = (byte) n;
        return NodeId.of(b);
    }

    @Test
    void aRelayedRouteBetweenTwoNattedNodesWithDirectAddressesStartsOneExchange() {
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.START);
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.IN_PROGRESS);
        assertThat(policy.running()).isEqualTo(1);
        policy.onSucceeded(peer);
        assertThat(policy.running()).isZero();
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.ALREADY_DIRECT);
    }

    @Test
    void nothingIsPunchedWhenDisabledFromAPublicNodeOrWithoutDirectAddresses() {
        DirectUpgradePolicy off = new DirectUpgradePolicy(new DirectUpgradePolicy.Settings(false, 3,
                Duration.ofSeconds(30), Duration.ofMinutes(2), 2), clock);
        assertThat(off.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.DISABLED);
        assertThat(policy.onRelayedRoute(peer, 1, false, true)).isEqualTo(Decision.SELF_NOT_BEHIND_NAT);
        assertThat(policy.onRelayedRoute(peer, 1, true, false)).isEqualTo(Decision.NO_DIRECT_CANDIDATES);
        assertThat(policy.running()).isZero();
    }

    @Test
    void failedExchangesBackOffDoublingAndStopAfterTheBudgetOfTheRecordVersion() {
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.START);
        policy.onFailed(peer);
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.BACKING_OFF);
        clock.advance(Duration.ofSeconds(29));
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.BACKING_OFF);
        clock.advance(Duration.ofSeconds(1));
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.START);
        policy.onFailed(peer);
        clock.advance(Duration.ofSeconds(59));
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.BACKING_OFF); // 60 s now
        clock.advance(Duration.ofSeconds(1));
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.START);
        policy.onFailed(peer);
        clock.advance(Duration.ofHours(1));
        // Three exchanges failed for record version 1: no more, however often the relayed route is used.
        for (int i = 0; i < 100; i++) {
            assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.GAVE_UP);
        }
        assertThat(policy.state(peer).orElseThrow().failures()).isEqualTo(3);
    }

    @Test
    void aNewRecordVersionGetsANewBudgetButStillWaitsOutTheBackoff() {
        for (int i = 0; i < 3; i++) {
            assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.START);
            policy.onFailed(peer);
            clock.advance(Duration.ofMinutes(2));
        }
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.GAVE_UP);
        assertThat(policy.onRelayedRoute(peer, 2, true, true)).isEqualTo(Decision.START);
        policy.onFailed(peer);
        // The record flapping to a newer version does not skip the backoff (no retry storm).
        assertThat(policy.onRelayedRoute(peer, 3, true, true)).isEqualTo(Decision.BACKING_OFF);
        // An older record version seen again does not reset anything.
        assertThat(policy.state(peer).orElseThrow().seq()).isEqualTo(3);
        assertThat(policy.onRelayedRoute(peer, 2, true, true)).isEqualTo(Decision.BACKING_OFF);
    }

    @Test
    void backoffIsCappedAtTheMaximum() {
        assertThat(policy.backoffAfter(1)).isEqualTo(Duration.ofSeconds(30));
        assertThat(policy.backoffAfter(2)).isEqualTo(Duration.ofSeconds(60));
        assertThat(policy.backoffAfter(3)).isEqualTo(Duration.ofSeconds(120));
        assertThat(policy.backoffAfter(30)).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void concurrentExchangesAreBounded() {
        assertThat(policy.onRelayedRoute(id(1), 1, true, true)).isEqualTo(Decision.START);
        assertThat(policy.onRelayedRoute(id(2), 1, true, true)).isEqualTo(Decision.START);
        assertThat(policy.onRelayedRoute(id(3), 1, true, true)).isEqualTo(Decision.BUSY);
        policy.onFailed(id(1));
        assertThat(policy.onRelayedRoute(id(3), 1, true, true)).isEqualTo(Decision.START);
        assertThat(policy.running()).isEqualTo(2);
    }

    @Test
    void aBrokenPunchedConnectionFallsBackToTheRelayAndMayBePunchedAgainAfterTheBackoff() {
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.START);
        policy.onSucceeded(peer);
        policy.onDirectLost(peer);
        assertThat(policy.state(peer).orElseThrow().punched()).isFalse();
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.BACKING_OFF);
        clock.advance(Duration.ofSeconds(30));
        assertThat(policy.onRelayedRoute(peer, 1, true, true)).isEqualTo(Decision.START);
    }

    @Test
    void settingsAreChecked() {
        assertThatThrownBy(() -> new DirectUpgradePolicy.Settings(true, 0, Duration.ZERO, Duration.ZERO, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DirectUpgradePolicy.Settings(true, 1, Duration.ofSeconds(2), Duration.ofSeconds(1), 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(DirectUpgradePolicy.Settings.defaults().enabled()).isTrue();
    }
}
