package dev.p2psuite.dht;

import dev.p2psuite.grpc.HolePunchConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * dht-service settings. Each is a property or an environment variable ({@code p2p.dht.min-ready-contacts} =
 * {@code P2P_DHT_MIN_READY_CONTACTS}); README, "Configuration", lists them with their defaults. Durations take
 * ISO-8601 or the short form ({@code 15m}, {@code 2s}), so tests can run every interval in seconds.
 */
@ConfigMapping(prefix = "p2p")
public interface DhtConfig {

    /** The node's data directory, shared by its services; this service keeps its state in {@code dht/}. */
    @WithDefault("p2p-data")
    Path dataDir();

    Dht dht();

    /** {@code p2p.hole-punch.*}: upgrading relayed routes to hole-punched ones (shared with storage-service). */
    HolePunchConfig holePunch();

    interface Dht {
        /** Gateways ({@code host:port}) of nodes to join the network through; none for the first node. */
        Optional<List<String>> bootstrap();

        /**
         * Explicit single-node mode: ready without any contact. Without it, a node with no bootstrap address
         * becomes ready once others have joined through it.
         */
        @WithDefault("false")
        boolean standalone();

        /** Live contacts the routing table must hold before the service reports ready. */
        @WithDefault("1")
        int minReadyContacts();

        /** This node's gateway, which owns the node's signed record ({@code GatewayInternal/SelfRecord}). */
        @WithDefault("127.0.0.1:7000")
        String gatewayAddress();

        /** Deadline of one RPC to another node (Kademlia marks a peer that misses it unresponsive). */
        @WithDefault("3s")
        Duration requestTimeout();

        /** A bucket untouched this long is refreshed by a lookup in its range (BEP 5: 15 min). */
        @WithDefault("15m")
        Duration refreshInterval();

        /** How often held values are republished (Kademlia paper: hourly). */
        @WithDefault("1h")
        Duration republishInterval();

        /** How often provider records this node announces are renewed (go-libp2p-kad-dht: 22 h). */
        @WithDefault("22h")
        Duration providerRepublishInterval();

        /** How often peers are exchanged with a few contacts (BEP 11 allows one message a minute per peer). */
        @WithDefault("1m")
        Duration pexInterval();

        /** Contacts allowed per IPv4 /24 (IPv6 /48) per bucket, against eclipse attempts. */
        @WithDefault("2")
        int maxPerIpGroup();

        /** Whether loopback and private addresses are exempt from that limit (local and test networks). */
        @WithDefault("true")
        boolean diversityExemptsPrivate();

        /** How often the routing table and records are saved to {@code dht/state.pb}. */
        @WithDefault("30s")
        Duration snapshotInterval();

        /** This node's storage-service, whose complete contents flood search indexes ({@code StorageInternal/ListContent}). */
        @WithDefault("127.0.0.1:7002")
        String storageAddress();

        /** Flood search (issue 7): {@code p2p.dht.search.*}. */
        Search search();
    }

    /** Flood search settings; the fixed limits of search_peer.proto (TTL 1..7, 8 terms of 64 bytes, ...) are not here. */
    interface Search {
        /** TTL of a search this node originates when the request gives none (1..7). */
        @WithDefault("4")
        int defaultTtl();

        /** Neighbours queries are flooded to, picked from the routing table's live contacts. */
        @WithDefault("8")
        int neighbours();

        /** Queries a second forwarded to any one neighbour at most (search_peer.proto: 10); the rest are dropped. */
        @WithDefault("10")
        double forwardRatePerNeighbour();

        /** Queries a second forwarded in total at most (search_peer.proto: 100); the rest are dropped. */
        @WithDefault("100")
        double forwardRateTotal();

        /** Query calls a second one peer may make here (burst twice that) before RESOURCE_EXHAUSTED. */
        @WithDefault("10")
        double queryRatePerPeer();

        /** How long a query ID is remembered to drop duplicates (search_peer.proto: 10 min). */
        @WithDefault("10m")
        Duration duplicateMemory();

        /** Each hop ends its stream this long before its caller's deadline, so its last hits get back in time. */
        @WithDefault("250ms")
        Duration hopMargin();

        /** How often the neighbour set is re-checked against the routing table. */
        @WithDefault("30s")
        Duration neighbourRefresh();

        /** How often the index is reloaded from storage-service (also before each search this node originates). */
        @WithDefault("5s")
        Duration indexRefreshInterval();
    }
}
