package dev.p2psuite.relay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HolePunchInitiatorTest {

    private static final long MS = 1_000_000;

    @Test
    void theRoundTripIsMeasuredAndTheInitiatorDialsHalfOfItAfterSync() {
        HolePunchInitiator i = new HolePunchInitiator();
        i.connectSent(1_000 * MS);
        assertThat(i.connectReceived(1_040 * MS)).isEqualTo(Duration.ofMillis(20));
        assertThat(i.rttMs()).isEqualTo(40);
        assertThat(i.phase()).isEqualTo(HolePunchInitiator.Phase.DIALING);
    }

    @Test
    void aClockGoingBackwardsGivesNoNegativeDelay() {
        HolePunchInitiator i = new HolePunchInitiator();
        i.connectSent(1_000 * MS);
        assertThat(i.connectReceived(900 * MS)).isEqualTo(Duration.ZERO);
    }

    @Test
    void aProvedConnectionEndsTheExchange() {
        HolePunchInitiator i = new HolePunchInitiator();
        i.connectSent(0);
        i.connectReceived(3 * MS);
        assertThat(i.attemptDone(true)).isFalse();
        assertThat(i.succeeded()).isTrue();
        assertThat(i.phase()).isEqualTo(HolePunchInitiator.Phase.DONE);
        assertThatThrownBy(() -> i.connectSent(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void failedAttemptsAreRetriedUpToThreeTimesInAll() {
        HolePunchInitiator i = new HolePunchInitiator();
        List<Integer> attempts = new ArrayList<>();
        boolean again = true;
        while (again) {
            attempts.add(i.attempt());
            i.connectSent(0);
            i.connectReceived(MS);
            again = i.attemptDone(false);
        }
        assertThat(attempts).containsExactly(1, 2, 3).hasSize(HolePunchResponder.MAX_ATTEMPTS);
        assertThat(i.succeeded()).isFalse();
        assertThat(i.phase()).isEqualTo(HolePunchInitiator.Phase.DONE);
    }

    @Test
    void stepsOutOfOrderAreRejected() {
        HolePunchInitiator i = new HolePunchInitiator();
        assertThatThrownBy(() -> i.connectReceived(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> i.attemptDone(true)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void punchCandidatesCarryThePunchPortWithoutRelayedOrDuplicates() {
        List<Candidate> direct = List.of(Candidate.host("10.0.1.2", 7000), Candidate.serverReflexive("198.18.0.1", 7000),
                Candidate.relayed("198.18.0.100", 7000, NodeId.of(new byte[20])),
                Candidate.serverReflexive("198.18.0.1", 7001));
        assertThat(HolePunchInitiator.onPunchPort(direct, 40_123)).containsExactly(
                Candidate.host("10.0.1.2", 40_123), Candidate.serverReflexive("198.18.0.1", 40_123));
        assertThatThrownBy(() -> HolePunchInitiator.onPunchPort(direct, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void atMostEightPunchCandidates() {
        List<Candidate> many = new ArrayList<>();
        for (int k = 1; k <= 12; k++) {
            many.add(Candidate.serverReflexive("198.18.0." + k, 7000));
        }
        assertThat(HolePunchInitiator.onPunchPort(many, 5000)).hasSize(HolePunchResponder.MAX_CANDIDATES);
    }
}
