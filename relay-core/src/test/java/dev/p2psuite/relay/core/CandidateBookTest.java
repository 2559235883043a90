package dev.p2psuite.relay.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CandidateBookTest {

    private final ManualClock clock = new ManualClock();
    private final CandidateBook book = new CandidateBook(clock, Duration.ofMinutes(10));
    private final Candidate host = Candidate.host("10.0.1.2", 7000);
    private final Candidate stun = Candidate.serverReflexive("198.18.0.1", 7000);
    private final Candidate relayed = Candidate.relayed("198.18.0.100", 7000, NodeId.of(new byte[20]));

    @Test
    void icePrioritiesFollowRfc8445TypePreferences() {
        assertThat(IcePriority.priority(Candidate.Kind.HOST)).isEqualTo((126L << 24) + (65_535L << 8) + 255);
        assertThat(IcePriority.priority(Candidate.Kind.SERVER_REFLEXIVE))
                .isEqualTo((100L << 24) + (65_535L << 8) + 255);
        assertThat(IcePriority.priority(Candidate.Kind.RELAYED)).isEqualTo((65_535L << 8) + 255);
        assertThat(IcePriority.priority(Candidate.Kind.HOST, 0)).isGreaterThan(
                IcePriority.priority(Candidate.Kind.SERVER_REFLEXIVE, 65_535));
        assertThatThrownBy(() -> IcePriority.priority(Candidate.Kind.HOST, 65_536))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void candidatesArePublishedHighestPriorityFirst() {
        book.setRelayed(List.of(relayed));
        book.reflexive(stun, CandidateBook.Source.STUN, "198.18.0.100:3478");
        book.setHosts(List.of(host), CandidateBook.Source.CONFIGURED);
        assertThat(book.toPublish()).containsExactly(host, stun, relayed);
        assertThat(book.entries().get(1).reportedBy()).isEqualTo("198.18.0.100:3478");
    }

    @Test
    void anAddressReportedByStunAndObservedKeepsStunAsItsSource() {
        book.reflexive(stun, CandidateBook.Source.STUN, "198.18.0.100:3478");
        clock.advance(Duration.ofSeconds(5));
        book.reflexive(stun, CandidateBook.Source.OBSERVED, "peer");
        assertThat(book.entries()).singleElement().satisfies(e -> {
            assertThat(e.source()).isEqualTo(CandidateBook.Source.STUN);
            assertThat(e.reportedBy()).isEqualTo("198.18.0.100:3478");
            assertThat(e.lastConfirmed()).isEqualTo(clock.instant());
        });
    }

    @Test
    void aReflexiveCandidateNotReportedAgainGoesStale() {
        book.setHosts(List.of(host), CandidateBook.Source.CONFIGURED);
        book.reflexive(stun, CandidateBook.Source.STUN, "s");
        clock.advance(Duration.ofMinutes(9));
        assertThat(book.toPublish()).contains(stun);
        clock.advance(Duration.ofMinutes(2));
        assertThat(book.toPublish()).containsExactly(host);
    }

    @Test
    void aFailedDialBackRoundMakesAnUnknownNodePrivateAtOnce() {
        book.setHosts(List.of(host), CandidateBook.Source.CONFIGURED);
        book.reflexive(stun, CandidateBook.Source.STUN, "s");
        assertThat(book.reachability()).isEqualTo(CandidateBook.Reachability.UNKNOWN);
        assertThat(book.dialBackRound(List.of(), List.of(stun))).isTrue();
        assertThat(book.reachability()).isEqualTo(CandidateBook.Reachability.PRIVATE);
    }

    @Test
    void aReachedCandidateMakesTheNodePublicAndRanksFirstWithinItsKind() {
        Candidate other = Candidate.serverReflexive("198.18.0.9", 7000);
        book.reflexive(other, CandidateBook.Source.OBSERVED, "peer");
        book.reflexive(stun, CandidateBook.Source.STUN, "s");
        book.dialBackRound(List.of(stun), List.of(other));
        assertThat(book.reachability()).isEqualTo(CandidateBook.Reachability.PUBLIC);
        assertThat(book.entries().get(0).candidate()).isEqualTo(stun);
        assertThat(book.entries().get(0).verified()).isTrue();
    }

    @Test
    void aPublicNodeTurnsPrivateOnlyAfterThreeFailedRounds() {
        book.reflexive(stun, CandidateBook.Source.STUN, "s");
        book.dialBackRound(List.of(stun), List.of());
        for (int i = 1; i < CandidateBook.FAILED_ROUNDS_TO_FLIP; i++) {
            book.dialBackRound(List.of(), List.of(stun));
            assertThat(book.reachability()).isEqualTo(CandidateBook.Reachability.PUBLIC);
        }
        book.dialBackRound(List.of(), List.of(stun));
        assertThat(book.reachability()).isEqualTo(CandidateBook.Reachability.PRIVATE);
        assertThat(book.entries().get(0).verified()).isFalse();
    }

    @Test
    void roundsWithOnlyRefusedCandidatesDecideNothing() {
        assertThat(book.dialBackRound(List.of(), List.of())).isFalse();
        assertThat(book.reachability()).isEqualTo(CandidateBook.Reachability.UNKNOWN);
    }

    @Test
    void hostsKeepTheirVerificationWhenSetAgain() {
        book.setHosts(List.of(host), CandidateBook.Source.CONFIGURED);
        book.dialBackRound(List.of(host), List.of());
        book.setHosts(List.of(host), CandidateBook.Source.CONFIGURED);
        assertThat(book.entries().get(0).verified()).isTrue();
    }

    @Test
    void wrongKindsAreRefused() {
        assertThatThrownBy(() -> book.setHosts(List.of(stun), CandidateBook.Source.CONFIGURED))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> book.reflexive(host, CandidateBook.Source.STUN, ""))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> book.setRelayed(List.of(host))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void renewalAtThreeQuartersWithCappedExponentialRetry() {
        Instant t = Instant.parse("2030-01-01T00:00:00Z");
        assertThat(RenewalSchedule.renewAt(t, t.plusSeconds(3600))).isEqualTo(t.plusSeconds(2700));
        assertThat(RenewalSchedule.renewAt(t, t.minusSeconds(1))).isEqualTo(t);
        assertThat(RenewalSchedule.retryDelay(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(RenewalSchedule.retryDelay(3)).isEqualTo(Duration.ofSeconds(4));
        assertThat(RenewalSchedule.retryDelay(30)).isEqualTo(RenewalSchedule.RETRY_MAX);
    }
}
