package dev.p2psuite.relay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class HolePunchResponderTest {

    private static final Candidate SRFLX = Candidate.serverReflexive("198.18.0.1", 40000);
    private static final Candidate HOST = Candidate.host("10.0.1.2", 40000);
    private static final Candidate RELAYED = Candidate.relayed("198.18.0.2", 7000, NodeId.of(new byte[20]));

    @Test
    void aSuccessfulFirstAttemptEndsTheExchange() throws Exception {
        HolePunchResponder r = new HolePunchResponder();
        assertThat(r.onConnect(List.of(SRFLX, RELAYED, HOST))).containsExactly(SRFLX, HOST);
        assertThat(r.phase()).isEqualTo(HolePunchResponder.Phase.AWAIT_SYNC);
        assertThat(r.onSync(40, 0, 1)).isEqualTo(Duration.ZERO);
        r.onRemoteResult(1, true); // the initiator's result may come first
        r.onLocalResult(false);
        assertThat(r.phase()).isEqualTo(HolePunchResponder.Phase.DONE);
        assertThat(r.succeeded()).isTrue();
        assertThatThrownBy(() -> r.onConnect(List.of(SRFLX))).isInstanceOf(HolePunchResponder.ProtocolException.class);
    }

    @Test
    void failedAttemptsAreRetriedUpToThreeTimes() throws Exception {
        HolePunchResponder r = new HolePunchResponder();
        for (int attempt = 1; attempt <= 3; attempt++) {
            assertThat(r.attempt()).isEqualTo(attempt);
            r.onConnect(List.of(SRFLX));
            assertThat(r.onSync(10, 5, attempt)).isEqualTo(Duration.ofMillis(5));
            r.onLocalResult(false);
            r.onRemoteResult(attempt, false);
        }
        assertThat(r.phase()).isEqualTo(HolePunchResponder.Phase.DONE);
        assertThat(r.succeeded()).isFalse();
    }

    @Test
    void framesOutOfOrderWrongAttemptsAndTooManyCandidatesAreProtocolErrors() throws Exception {
        HolePunchResponder r = new HolePunchResponder();
        assertThatThrownBy(() -> r.onSync(1, 0, 1)).hasMessageContaining("out of order");
        assertThatThrownBy(() -> r.onConnect(Collections.nCopies(9, SRFLX))).hasMessageContaining("at most 8");
        r.onConnect(List.of(SRFLX));
        assertThatThrownBy(() -> r.onSync(1, 0, 2)).hasMessageContaining("attempt 1");
        assertThatThrownBy(() -> r.onSync(1, 60_000, 1)).hasMessageContaining("dial_delay_ms");
        r.onSync(1, 0, 1);
        r.onRemoteResult(1, false);
        assertThatThrownBy(() -> r.onRemoteResult(1, false)).isInstanceOf(HolePunchResponder.ProtocolException.class);
        r.onLocalResult(false);
        assertThatThrownBy(() -> r.onLocalResult(false)).isInstanceOf(HolePunchResponder.ProtocolException.class);
    }

    @Test
    void theInitiatorDialsHalfARoundTripPlusTheDelayAfterSync() {
        assertThat(HolePunchResponder.initiatorDialDelay(80, 0)).isEqualTo(Duration.ofMillis(40));
        assertThat(HolePunchResponder.initiatorDialDelay(81, 10)).isEqualTo(Duration.ofMillis(50));
    }
}
