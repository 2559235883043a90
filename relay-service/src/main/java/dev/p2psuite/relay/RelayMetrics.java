package dev.p2psuite.relay;

import dev.p2psuite.relay.core.RelayTable;
import dev.p2psuite.relay.core.RelayTable.CircuitRefusal;
import dev.p2psuite.relay.core.RelayTable.ReservationRefusal;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * The relay's meters at {@code /q/metrics}, read from the core's counters when scraped (nothing is counted twice,
 * and the per-frame path pays nothing for them). Prometheus names: {@code p2p_relay_reservations_active},
 * {@code p2p_relay_reservations_granted_total}, {@code p2p_relay_reservations_refused_total{reason}},
 * {@code p2p_relay_circuits_active}, {@code p2p_relay_circuits_pending}, {@code p2p_relay_circuits_opened_total},
 * {@code p2p_relay_circuits_refused_total{reason}}, {@code p2p_relay_circuits_over_budget_total{budget}},
 * {@code p2p_relay_relayed_bytes_total}, {@code p2p_relay_dial_backs_total},
 * {@code p2p_relay_hole_punch_attempts_total}, {@code p2p_relay_hole_punch_successes_total}.
 */
final class RelayMetrics {

    private RelayMetrics() {
    }

    static void register(MeterRegistry registry, RelayTable table) {
        gauge(registry, "p2p.relay.reservations.active", "Reservations other nodes hold on this relay now",
                table, t -> t.stats().reservationsActive());
        counter(registry, "p2p.relay.reservations.granted", "Reservations granted or renewed", table,
                t -> t.stats().reservationsGranted());
        for (ReservationRefusal reason : ReservationRefusal.values()) {
            FunctionCounter.builder("p2p.relay.reservations.refused", table,
                            t -> t.stats().reservationsRefusedBy().getOrDefault(reason, 0L))
                    .tag("reason", reason.tag())
                    .description("Reservations refused, by quota hit").register(registry);
        }
        gauge(registry, "p2p.relay.circuits.active", "Circuits open now", table, t -> t.stats().circuitsActive());
        gauge(registry, "p2p.relay.circuits.pending", "Circuits waiting for the target's accept or the relay's dial",
                table, t -> t.stats().circuitsPending());
        counter(registry, "p2p.relay.circuits.opened", "Circuits opened", table, t -> t.stats().circuitsOpened());
        for (CircuitRefusal reason : CircuitRefusal.values()) {
            FunctionCounter.builder("p2p.relay.circuits.refused", table,
                            t -> t.stats().circuitsRefusedBy().getOrDefault(reason, 0L))
                    .tag("reason", reason.tag())
                    .description("Circuits refused or never opened, by reason").register(registry);
        }
        FunctionCounter.builder("p2p.relay.circuits.over.budget", table, t -> t.stats().circuitsOverBytes())
                .tag("budget", "bytes").description("Circuits closed for using up their budget").register(registry);
        FunctionCounter.builder("p2p.relay.circuits.over.budget", table, t -> t.stats().circuitsOverTime())
                .tag("budget", "time").description("Circuits closed for using up their budget").register(registry);
        counter(registry, "p2p.relay.relayed.bytes", "Bytes relayed through circuits, both directions", table,
                RelayTable::bytesRelayed);
        counter(registry, "p2p.relay.dial.backs", "DialBack requests served", table, t -> t.stats().dialBacks());
        counter(registry, "p2p.relay.hole.punch.attempts", "Hole-punch attempts answered", table,
                t -> t.stats().holePunchAttempts());
        counter(registry, "p2p.relay.hole.punch.successes", "Hole-punch attempts that connected directly", table,
                t -> t.stats().holePunchSuccesses());
    }

    private static void gauge(MeterRegistry registry, String name, String help, RelayTable table,
                              ToDoubleFunction<RelayTable> value) {
        Gauge.builder(name, table, value).description(help).register(registry);
    }

    private static void counter(MeterRegistry registry, String name, String help, RelayTable table,
                                ToDoubleFunction<RelayTable> value) {
        FunctionCounter.builder(name, table, value).description(help).register(registry);
    }
}
