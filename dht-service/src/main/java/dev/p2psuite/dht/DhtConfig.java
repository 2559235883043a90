package dev.p2psuite.dht;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * dht-service settings; as environment variables {@code P2P_DATA_DIR}, {@code P2P_DHT_BOOTSTRAP}
 * (comma-separated). README, "Configuration", documents each with its default.
 */
@ConfigMapping(prefix = "p2p")
public interface DhtConfig {

    /** The node's data directory, shared by its services; this service keeps its state in {@code dht/}. */
    @WithDefault("p2p-data")
    Path dataDir();

    Dht dht();

    interface Dht {
        /** Gateways ({@code host:port}) of nodes to join the network through; none for the first node. */
        Optional<List<String>> bootstrap();
    }
}
