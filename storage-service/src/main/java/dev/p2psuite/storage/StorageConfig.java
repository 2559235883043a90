package dev.p2psuite.storage;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;

/** storage-service settings; as environment variables {@code P2P_DATA_DIR}. README, "Configuration". */
@ConfigMapping(prefix = "p2p")
public interface StorageConfig {

    /** The node's data directory, shared by its services; this service keeps its pieces in {@code storage/}. */
    @WithDefault("p2p-data")
    Path dataDir();
}
