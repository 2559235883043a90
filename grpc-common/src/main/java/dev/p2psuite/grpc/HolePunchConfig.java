package dev.p2psuite.grpc;

import dev.p2psuite.relay.core.DirectUpgradePolicy;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * {@code p2p.hole-punch.*}: when a service's {@link PeerDialer} upgrades relayed routes to hole-punched ones
 * (libp2p DCUtR). A group of dht-service's and storage-service's {@code @ConfigMapping}s, so one setting (e.g.
 * {@code P2P_HOLE_PUNCH_ENABLED=false}) applies to both. README, "Configuration", lists the keys.
 */
public interface HolePunchConfig {

    /** Upgrade relayed routes by hole punching at all. */
    @WithDefault("true")
    boolean enabled();

    /**
     * Failed exchanges (each up to 3 DCUtR attempts) per peer and record version before the peer stays on the
     * relay until it publishes a new record.
     */
    @WithDefault("3")
    int maxExchanges();

    /** Wait after a failed exchange (doubled per further failure) and after a punched connection ended. */
    @WithDefault("30s")
    Duration backoff();

    /** The longest wait between two exchanges with one peer. */
    @WithDefault("10m")
    Duration maxBackoff();

    /** Exchanges running at once in this service. */
    @WithDefault("4")
    int maxConcurrent();

    default DirectUpgradePolicy.Settings settings() {
        return new DirectUpgradePolicy.Settings(enabled(), maxExchanges(), backoff(), maxBackoff(), maxConcurrent());
    }
}
