package dev.p2psuite.grpc;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * A service's {@link PeerDialer} at {@code /q/metrics}, read when scraped: {@code p2p_hole_punch_upgrades_total
 * {outcome="attempted"|"succeeded"|"failed"}}, {@code p2p_hole_punch_connections_lost_total} and
 * {@code p2p_peer_routes{kind="direct"|"hole_punched"|"relayed"}} (nodes reached through the dialer now, by route).
 */
public final class PeerDialerMetrics {

    private PeerDialerMetrics() {
    }

    /**
     * @param owner  the long-lived object that holds the dialer (Micrometer keeps only a weak reference to it: a
     *               short-lived one would be collected and the meters would vanish)
     * @param dialer the owner's dialer; may give null until it exists (its meters read 0 meanwhile)
     */
    public static <T> void register(MeterRegistry registry, T owner, Function<T, PeerDialer> dialer) {
        upgrades(registry, owner, dialer, "attempted", PeerDialer.UpgradeStats::attempted);
        upgrades(registry, owner, dialer, "succeeded", PeerDialer.UpgradeStats::succeeded);
        upgrades(registry, owner, dialer, "failed", PeerDialer.UpgradeStats::failed);
        FunctionCounter.builder("p2p.hole.punch.connections.lost", owner,
                        o -> stat(dialer.apply(o), PeerDialer.UpgradeStats::lost))
                .description("Hole-punched connections that ended (traffic back on the relay)").register(registry);
        for (PeerDialer.RouteKind kind : PeerDialer.RouteKind.values()) {
            Gauge.builder("p2p.peer.routes", owner, o -> {
                        PeerDialer d = dialer.apply(o);
                        return d == null ? 0 : d.routeKinds().values().stream().filter(k -> k == kind).count();
                    })
                    .tag("kind", kind.name().toLowerCase(Locale.ROOT))
                    .description("Nodes reached through this service's dialer, by route kind").register(registry);
        }
    }

    private static <T> void upgrades(MeterRegistry registry, T owner, Function<T, PeerDialer> dialer, String outcome,
                                     ToLongFunction<PeerDialer.UpgradeStats> value) {
        FunctionCounter.builder("p2p.hole.punch.upgrades", owner, o -> stat(dialer.apply(o), value))
                .tag("outcome", outcome)
                .description("Upgrades of relayed routes by hole punching (DCUtR exchanges)").register(registry);
    }

    private static double stat(PeerDialer dialer, ToLongFunction<PeerDialer.UpgradeStats> value) {
        return dialer == null ? 0 : value.applyAsLong(dialer.upgradeStats());
    }
}
