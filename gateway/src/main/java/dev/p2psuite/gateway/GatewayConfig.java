package dev.p2psuite.gateway;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Gateway settings. Each can be set as a property or as an environment variable: {@code p2p.gateway.dht-address}
 * is {@code P2P_GATEWAY_DHT_ADDRESS}. Defaults fit one node on one machine (README, "Configuration").
 */
@ConfigMapping(prefix = "p2p")
public interface GatewayConfig {

    /** The node's data directory, shared by its services; holds the node key in {@code identity/node.key}. */
    @WithDefault("p2p-data")
    Path dataDir();

    /**
     * On stop (SIGTERM), how long transfers in flight may take to finish before the service exits anyway; new ones
     * are refused meanwhile ({@link TransferDrain}). Keep it below the orchestrator's kill delay (./p2p: 20 s).
     */
    @WithDefault("15s")
    java.time.Duration shutdownGrace();

    Gateway gateway();

    interface Gateway {
        /** {@code host:port} of this node's dht-service. */
        @WithDefault("127.0.0.1:7001")
        String dhtAddress();

        /** {@code host:port} of this node's storage-service. */
        @WithDefault("127.0.0.1:7002")
        String storageAddress();

        /** {@code host:port} of this node's relay-service. */
        @WithDefault("127.0.0.1:7003")
        String relayAddress();

        /** Host other nodes dial to reach this gateway, published as the host candidate of the node's record. */
        @WithDefault("127.0.0.1")
        String advertiseHost();

        /** Port published with {@link #advertiseHost()}; defaults to the port the gateway listens on. */
        Optional<Integer> advertisePort();

        /** How often the node's gathered candidates are read from relay-service and published ({@link RecordPublisher}). */
        @WithDefault("2s")
        java.time.Duration recordRefreshInterval();

        /**
         * While a get downloads, how often the DHT is asked again for the content's providers, so that leechers that
         * announced themselves after the download started (partial seeds, BEP 3 swarm) join it; 30 s, the order of a
         * BitTorrent tracker's minimum re-announce, is cheap for the DHT and soon enough for a swarm to form.
         */
        @WithDefault("30s")
        java.time.Duration providerRefreshInterval();
    }
}
