package dev.p2psuite.relay;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;

/** relay-service settings; as environment variables {@code P2P_DATA_DIR}. README, "Configuration". */
@ConfigMapping(prefix = "p2p")
public interface RelayConfig {

    /** The node's data directory, shared by its services; this service keeps its state in {@code relay/}. */
    @WithDefault("p2p-data")
    Path dataDir();
}
