package dev.p2psuite.relay;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;

/**
 * relay-service settings; as environment variables {@code P2P_DATA_DIR}, {@code P2P_RELAY_STUN_ENABLED},
 * {@code P2P_RELAY_STUN_HOST}, {@code P2P_RELAY_STUN_PORT}. README, "Configuration".
 */
@ConfigMapping(prefix = "p2p")
public interface RelayConfig {

    /** The node's data directory, shared by its services; this service keeps its state in {@code relay/}. */
    @WithDefault("p2p-data")
    Path dataDir();

    /** {@code p2p.relay.*}. */
    Relay relay();

    /** Relay and STUN settings. */
    interface Relay {

        /**
         * {@code p2p.relay.stun-enabled} ({@code P2P_RELAY_STUN_ENABLED}), default {@code true}: run the STUN
         * binding service (RFC 8489) on UDP. When false nothing is bound and StunInfo reports it disabled.
         */
        @WithDefault("true")
        boolean stunEnabled();

        /**
         * {@code p2p.relay.stun-host} ({@code P2P_RELAY_STUN_HOST}), default {@code 0.0.0.0}: the local address
         * the STUN socket binds to (an IP literal; {@code ::} for IPv4 and IPv6 on a dual-stack host). STUN is
         * meant to be reached from outside the node, unlike the service's gRPC port.
         */
        @WithDefault("0.0.0.0")
        String stunHost();

        /**
         * {@code p2p.relay.stun-port} ({@code P2P_RELAY_STUN_PORT}), default {@code 3478}, the STUN port of
         * RFC 8489 §6.2.1; {@code 0} binds a free port (tests; StunInfo reports the port bound). Several nodes on
         * one host need one port each.
         */
        @WithDefault("3478")
        int stunPort();
    }
}
