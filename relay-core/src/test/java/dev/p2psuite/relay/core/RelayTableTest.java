package dev.p2psuite.relay.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.identity.NodeId;
import dev.p2psuite.relay.core.RelayTable.AcceptOutcome;
import dev.p2psuite.relay.core.RelayTable.CircuitRefusal;
import dev.p2psuite.relay.core.RelayTable.CloseReason;
import dev.p2psuite.relay.core.RelayTable.OpenOutcome;
import dev.p2psuite.relay.core.RelayTable.ReservationRefusal;
import dev.p2psuite.relay.core.RelayTable.ReserveOutcome;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class RelayTableTest {

    private static final Duration LIFETIME = Duration.ofHours(1);
    private final ManualClock clock = new ManualClock();
    private final RandomGenerator random = new SplittableRandom(7);

    private RelayTable table(int total, int perIp, int perReservation, int circuits, long maxBytes, Duration maxTime) {
        return new RelayTable(new RelayLimits(LIFETIME, total, perIp, perReservation, circuits, maxBytes, maxTime,
                Duration.ofSeconds(10)), clock, random);
    }

    private RelayTable table() {
        return table(4, 2, 2, 3, 1_000, Duration.ofMinutes(10));
    }

    private NodeId node(int n) {
        byte[] b = new byte[NodeId.LENGTH_BYTES];
        b[0] = (byte) n;
        b[19] = (byte) (n >> 8);
        return NodeId.of(b);
    }

    private static InetAddress ip(String literal) {
        return IpLiterals.parse(literal).orElseThrow();
    }

    private static ReserveOutcome.Granted granted(ReserveOutcome o) {
        assertThat(o).isInstanceOf(ReserveOutcome.Granted.class);
        return (ReserveOutcome.Granted) o;
    }

    private static ReserveOutcome.Refused refused(ReserveOutcome o) {
        assertThat(o).isInstanceOf(ReserveOutcome.Refused.class);
        return (ReserveOutcome.Refused) o;
    }

    @Test
    void aReservationLastsItsLifetimeIsExtendedByRenewalAndExpiresWithoutIt() {
        RelayTable t = table();
        ReserveOutcome.Granted first = granted(t.reserve(node(1), ip("203.0.113.1")));
        assertThat(first.renewal()).isFalse();
        assertThat(first.reservation().expiresAt()).isEqualTo(clock.instant().plus(LIFETIME));

        clock.advance(Duration.ofMinutes(45)); // holders renew at about 3/4 of the lifetime
        ReserveOutcome.Granted renewed = granted(t.reserve(node(1), ip("203.0.113.1")));
        assertThat(renewed.renewal()).isTrue();
        assertThat(renewed.reservation().expiresAt()).isEqualTo(clock.instant().plus(LIFETIME));
        assertThat(renewed.reservation().grantedAt()).isEqualTo(first.reservation().grantedAt());

        clock.advance(LIFETIME.minusMillis(1));
        assertThat(t.sweep().expiredReservations()).isEmpty();
        assertThat(t.reservation(node(1))).isPresent();
        clock.advance(Duration.ofMillis(1));
        assertThat(t.reservation(node(1))).as("expired, even before the sweep").isEmpty();
        assertThat(t.sweep().expiredReservations()).containsExactly(node(1));
        assertThat(t.stats().reservationsActive()).isZero();
        assertThat(granted(t.reserve(node(1), ip("203.0.113.1"))).renewal()).as("a new reservation").isFalse();
    }

    @Test
    void perIpLimitRefusesTheReservationOneOverItAndCountsIpv6BySlash64() {
        RelayTable t = table(10, 2, 2, 3, 0, Duration.ZERO);
        granted(t.reserve(node(1), ip("203.0.113.1")));
        granted(t.reserve(node(2), ip("203.0.113.1")));
        ReserveOutcome.Refused third = refused(t.reserve(node(3), ip("203.0.113.1")));
        assertThat(third.reason()).isEqualTo(ReservationRefusal.PER_IP_LIMIT);
        assertThat(third.message()).contains("203.0.113.1", "p2p.relay.max-reservations-per-ip");
        assertThat(granted(t.reserve(node(1), ip("203.0.113.1"))).renewal()).as("renewing at the limit").isTrue();
        granted(t.reserve(node(3), ip("203.0.113.2")));
        granted(t.reserve(node(3), ip("::ffff:203.0.113.2"))); // the same IPv4 source, a renewal

        granted(t.reserve(node(4), ip("2001:db8:0:1::1")));
        granted(t.reserve(node(5), ip("2001:db8:0:1::2")));
        assertThat(refused(t.reserve(node(6), ip("2001:db8:0:1:abcd::9"))).reason())
                .isEqualTo(ReservationRefusal.PER_IP_LIMIT);
        granted(t.reserve(node(6), ip("2001:db8:0:2::1")));
        assertThat(t.stats().reservationsRefusedBy()).containsEntry(ReservationRefusal.PER_IP_LIMIT, 2L);
    }

    @Test
    void totalLimitRefusesTheReservationOneOverItUntilOneExpires() {
        RelayTable t = table(3, 3, 2, 3, 0, Duration.ZERO);
        for (int n = 1; n <= 3; n++) {
            granted(t.reserve(node(n), ip("198.51.100." + n)));
        }
        ReserveOutcome.Refused fourth = refused(t.reserve(node(4), ip("198.51.100.4")));
        assertThat(fourth.reason()).isEqualTo(ReservationRefusal.TOTAL_LIMIT);
        assertThat(fourth.message()).contains("3 reservations", "p2p.relay.max-reservations");
        assertThat(granted(t.reserve(node(2), ip("198.51.100.2"))).renewal()).as("renewing when full").isTrue();

        clock.advance(Duration.ofMinutes(30));
        t.reserve(node(2), ip("198.51.100.2"));
        t.reserve(node(3), ip("198.51.100.3"));
        clock.advance(Duration.ofMinutes(31)); // node 1 expires
        assertThat(t.sweep().expiredReservations()).containsExactly(node(1));
        granted(t.reserve(node(4), ip("198.51.100.4")));
    }

    @Test
    void renewingFromAnotherIpMovesTheReservationOnlyIfThatIpHasRoom() {
        RelayTable t = table(10, 1, 2, 3, 0, Duration.ZERO);
        granted(t.reserve(node(1), ip("203.0.113.1")));
        granted(t.reserve(node(2), ip("203.0.113.2")));
        assertThat(refused(t.reserve(node(1), ip("203.0.113.2"))).reason()).isEqualTo(ReservationRefusal.PER_IP_LIMIT);
        assertThat(t.reservation(node(1)).orElseThrow().sourceIp()).isEqualTo("203.0.113.1");
        granted(t.reserve(node(1), ip("203.0.113.3")));
        granted(t.reserve(node(3), ip("203.0.113.1"))); // freed by the move
    }

    @Test
    void aCircuitIsAnnouncedAcceptedByItsTargetOnlyAndCarriesItsBudget() {
        RelayTable t = table();
        t.reserve(node(2), ip("203.0.113.2"));
        assertThat(((OpenOutcome.Refused) t.openCircuit(node(1), node(2))).reason())
                .isEqualTo(CircuitRefusal.NOT_LISTENING);
        t.setListening(node(2), true);
        OpenOutcome.Pending pending = (OpenOutcome.Pending) t.openCircuit(node(1), node(2));
        assertThat(pending.acceptBy()).isEqualTo(clock.instant().plusSeconds(10));

        assertThat(t.accept(pending.id(), node(3))).isInstanceOf(AcceptOutcome.Refused.class);
        AcceptOutcome.Accepted accepted = (AcceptOutcome.Accepted) t.accept(pending.id(), node(2));
        assertThat(accepted.circuit().initiator()).isEqualTo(node(1));
        assertThat(t.accept(pending.id(), node(2))).as("accepted once").isInstanceOf(AcceptOutcome.Refused.class);

        RelayTable.Circuit c = accepted.circuit();
        assertThat(c.budget().tryConsume(600)).isTrue();
        assertThat(c.budget().tryConsume(400)).as("exactly the budget").isTrue();
        assertThat(c.budget().tryConsume(1)).as("one byte over").isFalse();
        assertThat(c.budget().used()).isEqualTo(1_000);
        assertThat(t.reservation(node(2)).orElseThrow().bytesRelayed()).isEqualTo(1_000);
        assertThat(t.reservation(node(2)).orElseThrow().openCircuits()).isEqualTo(1);
        assertThat(t.close(c.id(), CloseReason.OVER_BYTES)).isTrue();
        assertThat(t.close(c.id(), CloseReason.NORMAL)).isFalse();
        RelayTable.Stats s = t.stats();
        assertThat(s.circuitsOpened()).isEqualTo(1);
        assertThat(s.circuitsOverBytes()).isEqualTo(1);
        assertThat(s.bytesRelayed()).isEqualTo(1_000);
        assertThat(s.circuitsActive()).isZero();
    }

    @Test
    void noReservationSelfAndUnknownCircuitsAreRefused() {
        RelayTable t = table();
        assertThat(((OpenOutcome.Refused) t.openCircuit(node(1), node(2))).reason())
                .isEqualTo(CircuitRefusal.NO_RESERVATION);
        assertThat(((OpenOutcome.Refused) t.openCircuit(node(1), node(1))).reason()).isEqualTo(CircuitRefusal.SELF);
        assertThat(t.accept(CircuitId.random(random), node(1))).isInstanceOf(AcceptOutcome.Refused.class);
        assertThat(t.stats().circuitsRefused()).isEqualTo(3);
    }

    @Test
    void circuitLimitsPerReservationAndInTotalHoldAtTheBoundary() {
        RelayTable t = table(10, 10, 2, 3, 0, Duration.ZERO);
        for (int n = 2; n <= 3; n++) {
            t.reserve(node(n), ip("203.0.113." + n));
            t.setListening(node(n), true);
        }
        OpenOutcome.Pending a = (OpenOutcome.Pending) t.openCircuit(node(10), node(2));
        t.openCircuit(node(11), node(2));
        OpenOutcome.Refused perTarget = (OpenOutcome.Refused) t.openCircuit(node(12), node(2));
        assertThat(perTarget.reason()).isEqualTo(CircuitRefusal.TARGET_LIMIT);
        assertThat(perTarget.message()).contains("p2p.relay.max-circuits-per-reservation");
        t.openCircuit(node(12), node(3));
        OpenOutcome.Refused total = (OpenOutcome.Refused) t.openCircuit(node(13), node(3));
        assertThat(total.reason()).isEqualTo(CircuitRefusal.TOTAL_LIMIT);
        assertThat(t.openAddressCircuit(node(13), node(9))).isInstanceOf(OpenOutcome.Refused.class);

        t.abandon(a.id(), CircuitRefusal.ACCEPT_TIMEOUT); // frees one slot of node 2 and one in total
        assertThat(t.openCircuit(node(13), node(2))).isInstanceOf(OpenOutcome.Pending.class);
    }

    @Test
    void sweepTimesOutUnacceptedCircuitsAndClosesCircuitsPastTheirTimeBudget() {
        RelayTable t = table(10, 10, 5, 5, 0, Duration.ofMinutes(10));
        t.reserve(node(2), ip("203.0.113.2"));
        t.setListening(node(2), true);
        OpenOutcome.Pending late = (OpenOutcome.Pending) t.openCircuit(node(1), node(2));
        OpenOutcome.Pending ok = (OpenOutcome.Pending) t.openCircuit(node(3), node(2));
        RelayTable.Circuit open = ((AcceptOutcome.Accepted) t.accept(ok.id(), node(2))).circuit();
        clock.advance(Duration.ofSeconds(10));
        RelayTable.Sweep first = t.sweep();
        assertThat(first.acceptTimedOut()).containsExactly(late.id());
        assertThat(first.overTime()).isEmpty();
        assertThat(t.accept(late.id(), node(2))).isInstanceOf(AcceptOutcome.Refused.class);

        clock.advance(Duration.ofMinutes(10).minusSeconds(11));
        assertThat(t.sweep().overTime()).isEmpty();
        clock.advance(Duration.ofSeconds(1));
        assertThat(t.sweep().overTime()).containsExactly(open.id());
        assertThat(t.stats().circuitsOverTime()).isEqualTo(1);
        assertThat(t.stats().circuitsRefusedBy()).containsEntry(CircuitRefusal.ACCEPT_TIMEOUT, 1L);
    }

    @Test
    void anExpiredReservationLeavesItsOpenCircuitsToTheirOwnBudgets() {
        RelayTable t = table(10, 10, 5, 5, 0, Duration.ofHours(2));
        t.reserve(node(2), ip("203.0.113.2"));
        t.setListening(node(2), true);
        OpenOutcome.Pending p = (OpenOutcome.Pending) t.openCircuit(node(1), node(2));
        RelayTable.Circuit c = ((AcceptOutcome.Accepted) t.accept(p.id(), node(2))).circuit();
        clock.advance(LIFETIME);
        RelayTable.Sweep sweep = t.sweep();
        assertThat(sweep.expiredReservations()).containsExactly(node(2));
        assertThat(sweep.overTime()).isEmpty();
        assertThat(c.budget().tryConsume(10)).isTrue();
        assertThat(t.stats().circuitsActive()).isEqualTo(1);
    }

    @Test
    void addressCircuitsOpenWhenTheRelayConnectedAndTimeOutOtherwise() {
        RelayTable t = table();
        OpenOutcome.Pending p = (OpenOutcome.Pending) t.openAddressCircuit(node(1), node(2));
        assertThat(t.accept(p.id(), node(2))).as("no one accepts an address circuit")
                .isInstanceOf(AcceptOutcome.Refused.class);
        assertThat(t.connected(p.id())).isInstanceOf(AcceptOutcome.Accepted.class);
        OpenOutcome.Pending q = (OpenOutcome.Pending) t.openAddressCircuit(node(1), node(2));
        clock.advance(Duration.ofSeconds(10));
        assertThat(t.sweep().acceptTimedOut()).containsExactly(q.id());
        assertThat(t.connected(q.id())).isInstanceOf(AcceptOutcome.Refused.class);
        assertThat(t.stats().circuitsRefusedBy()).containsEntry(CircuitRefusal.TARGET_UNREACHABLE, 1L);
    }

    /**
     * Seeded random runs of reserve / renew / advance / sweep / open / accept / close against a simple model: the
     * quotas hold at every step and the table's counts agree with the model.
     */
    @Test
    void randomOperationSequencesNeverBreakTheQuotas() {
        for (long seed = 1; seed <= 200; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            ManualClock c = new ManualClock();
            int total = 1 + r.nextInt(6);
            int perIp = 1 + r.nextInt(3);
            int perRes = 1 + r.nextInt(3);
            int maxCircuits = 1 + r.nextInt(6);
            RelayTable t = new RelayTable(new RelayLimits(Duration.ofMinutes(10), total, perIp, perRes, maxCircuits,
                    0, Duration.ofMinutes(5), Duration.ofSeconds(10)), c, r);
            Map<NodeId, String> model = new HashMap<>();
            List<CircuitId> circuits = new ArrayList<>();
            for (int step = 0; step < 300; step++) {
                NodeId n = node(1 + r.nextInt(12));
                String ip = "203.0.113." + (1 + r.nextInt(4));
                switch (r.nextInt(6)) {
                    case 0, 1 -> {
                        if (t.reserve(n, ip(ip)) instanceof ReserveOutcome.Granted) {
                            model.put(n, ip);
                        }
                    }
                    case 2 -> c.advance(Duration.ofSeconds(r.nextInt(400)));
                    case 3 -> t.setListening(n, r.nextBoolean());
                    case 4 -> {
                        if (t.openCircuit(node(100), n) instanceof OpenOutcome.Pending p) {
                            circuits.add(p.id());
                            if (r.nextBoolean()) {
                                t.accept(p.id(), n);
                            }
                        }
                    }
                    default -> {
                        if (!circuits.isEmpty()) {
                            t.close(circuits.remove(r.nextInt(circuits.size())), CloseReason.NORMAL);
                        }
                    }
                }
                t.sweep();
                List<RelayTable.Reservation> live = t.reservations();
                assertThat(live.size()).as("seed %d step %d", seed, step).isLessThanOrEqualTo(total);
                Map<String, Integer> byIp = new HashMap<>();
                Set<NodeId> liveNodes = new HashSet<>();
                for (RelayTable.Reservation res : live) {
                    byIp.merge(res.sourceIp(), 1, Integer::sum);
                    liveNodes.add(res.node());
                    assertThat(res.sourceIp()).isEqualTo(model.get(res.node()));
                    assertThat(res.openCircuits()).isLessThanOrEqualTo(perRes);
                }
                assertThat(byIp.values()).allMatch(count -> count <= perIp);
                RelayTable.Stats s = t.stats();
                assertThat(s.circuitsActive() + s.circuitsPending()).isLessThanOrEqualTo(maxCircuits);
                assertThat(s.reservationsActive()).isEqualTo(liveNodes.size());
            }
        }
    }
}
