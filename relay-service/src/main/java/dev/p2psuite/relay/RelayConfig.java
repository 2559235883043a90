package dev.p2psuite.relay;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * relay-service settings. Each is a property or an environment variable ({@code p2p.relay.max-reservations} =
 * {@code P2P_RELAY_MAX_RESERVATIONS}); relay-service/README.md lists them with their defaults. Durations take
 * ISO-8601 or the short form ({@code 15s}, {@code 1h}).
 */
@ConfigMapping(prefix = "p2p")
public interface RelayConfig {

    /** The node's data directory, shared by its services; this service keeps its state in {@code relay/}. */
    @WithDefault("p2p-data")
    Path dataDir();

    /** {@code p2p.relay.*}. */
    Relay relay();

    /** {@code p2p.nat.*}: this node's own NAT traversal (gathering, reachability, reservations it holds). */
    Nat nat();

    /** The node's side of NAT traversal: relay-service gathers candidates and holds reservations for its node. */
    interface Nat {

        /**
         * {@code p2p.nat.stun-servers} ({@code P2P_NAT_STUN_SERVERS}): STUN servers ({@code host:port}, UDP; e.g. a
         * public node's relay STUN port) asked for this node's server-reflexive address. None by default.
         */
        Optional<List<String>> stunServers();

        /**
         * {@code p2p.nat.relays} ({@code P2P_NAT_RELAYS}): public nodes' gateways ({@code host:port}) asked for
         * ObserveAddress and DialBack, and on which reservations are held while this node is not publicly
         * reachable. None by default (the node then only publishes its configured host candidate).
         */
        Optional<List<String>> relays();

        /** How often candidates are gathered again and dial-backs asked for. */
        @WithDefault("60s")
        Duration gatherInterval();

        /** How long a reflexive candidate is kept without being reported again. */
        @WithDefault("10m")
        Duration candidateLifetime();

        /** Reservations held at once while not publicly reachable (libp2p AutoRelay keeps a few). */
        @WithDefault("2")
        int maxHeldReservations();
    }

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

        /** Offer reservations and circuits to other nodes; when false they get FAILED_PRECONDITION. */
        @WithDefault("true")
        boolean circuitsEnabled();

        /**
         * This node's gateway, which owns the node's signed record ({@code GatewayInternal/SelfRecord}): the relay
         * takes its node ID and public address from it for the relayed candidates it hands out.
         */
        @WithDefault("127.0.0.1:7000")
        String gatewayAddress();

        /** How long a reservation lasts unless renewed (libp2p circuit relay v2: 1 h). */
        @WithDefault("1h")
        Duration reservationLifetime();

        /** Reservations served at once, in total. */
        @WithDefault("128")
        int maxReservations();

        /** Reservations served at once per source IPv4 address or IPv6 /64. */
        @WithDefault("8")
        int maxReservationsPerIp();

        /** Circuits pending or open at once to one reserving node; 0 = unlimited. */
        @WithDefault("16")
        int maxCircuitsPerReservation();

        /** Circuits pending or open at once through this relay; 0 = unlimited. Bounds the relay's memory. */
        @WithDefault("64")
        int maxCircuits();

        /** Byte budget of one circuit, both directions summed; 0 = unlimited. Default 4 GiB. */
        @WithDefault("4294967296")
        long circuitMaxBytes();

        /** Time budget of one circuit from when it opens; 0 = unlimited. */
        @WithDefault("1h")
        Duration circuitMaxDuration();

        /** How long an announced circuit waits for the target to accept it. */
        @WithDefault("10s")
        Duration acceptTimeout();

        /** Keepalive on idle Listen streams, so NAT mappings and idle timeouts do not drop them. */
        @WithDefault("15s")
        Duration listenHeartbeatInterval();

        /** How often expired reservations, unaccepted circuits and circuits over their time budget are swept. */
        @WithDefault("1s")
        Duration sweepInterval();

        /**
         * Dial loopback, private (RFC 1918, RFC 4193), link-local and CGNAT addresses (IPv4-mapped forms too) for
         * circuits to an address, dial-backs and hole-punch checks. Off by default: a relay must not open its own
         * host or LAN to remote callers. A local test network on 127.0.0.1 needs it on.
         */
        @WithDefault("false")
        boolean allowPrivateTargets();

        /** Serve TURN-style circuits to a node at an address ({@code ConnectOpen.target_host}). */
        @WithDefault("true")
        boolean addressTargetsEnabled();

        /** Deadline of one outbound dial: a dial-back, the check of an address circuit's target, a hole-punch dial. */
        @WithDefault("3s")
        Duration dialTimeout();

        /** Outbound dials in progress at once (dial-backs and hole-punch checks); more get RESOURCE_EXHAUSTED. */
        @WithDefault("32")
        int maxConcurrentDials();
    }
}
