package dev.p2psuite.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.Candidate.Kind;
import org.junit.jupiter.api.Test;

class CandidateTest {

    private static final NodeId RELAY = TestSupport.key(1).nodeId();

    @Test
    void factoriesSetTheKindAndOnlyRelayedCandidatesNameARelay() {
        assertThat(Candidate.host("10.0.0.1", 4001)).isEqualTo(new Candidate(Kind.HOST, "10.0.0.1", 4001, null));
        assertThat(Candidate.serverReflexive("203.0.113.1", 1).kind()).isEqualTo(Kind.SERVER_REFLEXIVE);
        Candidate relayed = Candidate.relayed("relay.example.org", 65535, RELAY);
        assertThat(relayed.kind()).isEqualTo(Kind.RELAYED);
        assertThat(relayed.relay()).isEqualTo(RELAY);
    }

    @Test
    void kindCodesAreTheWireCodesAndRoundTrip() {
        assertThat(Kind.HOST.code()).isEqualTo(1);
        assertThat(Kind.SERVER_REFLEXIVE.code()).isEqualTo(2);
        assertThat(Kind.RELAYED.code()).isEqualTo(3);
        for (Kind k : Kind.values()) {
            assertThat(Kind.fromCode(k.code())).isEqualTo(k);
        }
        assertThatThrownBy(() -> Kind.fromCode(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown candidate kind code 0");
    }

    @Test
    void relayedCandidateWithoutRelayIsRejected() {
        assertThatThrownBy(() -> new Candidate(Kind.RELAYED, "r.example", 1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("relay");
    }

    @Test
    void directCandidateNamingARelayIsRejected() {
        assertThatThrownBy(() -> new Candidate(Kind.HOST, "h.example", 1, RELAY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only a relayed candidate");
    }

    @Test
    void portOutsideOneTo65535IsRejected() {
        assertThatThrownBy(() -> Candidate.host("h", 0)).hasMessage("candidate port must be 1..65535, got 0");
        assertThatThrownBy(() -> Candidate.host("h", 65536)).hasMessage("candidate port must be 1..65535, got 65536");
    }

    @Test
    void hostMustBeNonEmptyAndAtMost255Utf8Bytes() {
        assertThatThrownBy(() -> Candidate.host("", 1)).hasMessage("candidate host is empty");
        assertThatThrownBy(() -> Candidate.host(null, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Candidate.host("a".repeat(255), 1).host()).hasSize(255);
        // 128 two-byte characters: 128 chars but 256 bytes.
        assertThatThrownBy(() -> Candidate.host("é".repeat(128), 1))
                .hasMessage("candidate host is 256 UTF-8 bytes, at most 255 allowed");
    }

    @Test
    void missingKindIsRejected() {
        assertThatThrownBy(() -> new Candidate(null, "h", 1, null)).isInstanceOf(IllegalArgumentException.class);
    }
}
