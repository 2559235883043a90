package dev.p2psuite.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.storage.store.InfinispanPieceStore;
import dev.p2psuite.storage.store.PieceStore;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store modes as configured: embedded by default; remote mode without a usable server list or with no server
 * to reach stops the service at startup with a message saying what to set (system-tests' RemoteStoreTest runs it
 * against a real Hot Rod server).
 */
class StoreModeTest {

    @TempDir
    Path dir;

    static StorageConfig config(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withMapping(StorageConfig.class)
                .withConverter(Duration.class, 200, new io.quarkus.runtime.configuration.DurationConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .build()
                .getConfigMapping(StorageConfig.class);
    }

    @Test
    void theDefaultModeIsAnEmbeddedDurableStoreUnderTheDataDirectory() {
        StorageConfig config = config(Map.of("p2p.data-dir", dir.toString()));
        assertThat(config.storage().mode()).isEqualTo(StorageConfig.Mode.EMBEDDED);
        try (PieceStore store = new PieceStoreProducer().pieceStore(config)) {
            assertThat(store).isInstanceOf(InfinispanPieceStore.class);
            assertThat(((InfinispanPieceStore) store).syncWrites()).isTrue();
            assertThat(store.describe()).contains(dir.resolve("storage").toAbsolutePath().toString());
        }
    }

    @Test
    void remoteModeWithoutServersIsRefusedAtStartupNamingTheSetting() {
        Map<String, String> p = new HashMap<>(Map.of("p2p.data-dir", dir.toString(), "p2p.storage.mode", "remote"));
        assertThatThrownBy(() -> new PieceStoreProducer().pieceStore(config(p)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("p2p.storage.remote.servers");
    }

    @Test
    void remoteModeWithAMalformedServerIsRefusedAtStartup() {
        Map<String, String> p = new HashMap<>(Map.of("p2p.data-dir", dir.toString(), "p2p.storage.mode", "remote",
                "p2p.storage.remote.servers", "127.0.0.1"));
        assertThatThrownBy(() -> new PieceStoreProducer().pieceStore(config(p)))
                .hasMessageContaining("'127.0.0.1' must look like host:port");
    }

    @Test
    void remoteModeWithNoServerListeningFailsAtStartupNamingTheServers() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort(); // closed again: nothing listens there
        }
        Map<String, String> p = new HashMap<>(Map.of("p2p.data-dir", dir.toString(), "p2p.storage.mode", "remote",
                "p2p.storage.remote.servers", "127.0.0.1:" + port));
        assertThatThrownBy(() -> new PieceStoreProducer().pieceStore(config(p)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot reach the Hot Rod server(s) 127.0.0.1:" + port);
    }

    @Test
    void anUnknownClusterCacheModeIsRefusedAtStartup() {
        Map<String, String> p = new HashMap<>(Map.of("p2p.data-dir", dir.toString(), "p2p.storage.mode", "clustered",
                "p2p.storage.cluster.cache-mode", "scattered"));
        assertThatThrownBy(() -> new PieceStoreProducer().pieceStore(config(p)))
                .hasMessageContaining("replicated or distributed");
    }
}
