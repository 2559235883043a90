package dev.p2psuite.testserver;

import java.util.concurrent.CountDownLatch;
import org.infinispan.commons.dataconversion.MediaType;
import org.infinispan.configuration.cache.ConfigurationBuilder;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.server.hotrod.HotRodServer;
import org.infinispan.server.hotrod.configuration.HotRodServerConfigurationBuilder;

/**
 * {@code HotRodTestServer HOST PORT DIR CACHE...}: an Infinispan server on HOST:PORT with one persistent cache per
 * name (keys and values {@code application/octet-stream}, soft-index file store under DIR, fsync before each write is acknowledged), as an operator would define the
 * caches storage-service's remote mode needs. Prints {@code hotrod-test-server ready HOST:PORT} once it serves.
 */
public final class HotRodTestServer {

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: HotRodTestServer HOST PORT DIR CACHE...");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        GlobalConfigurationBuilder global = new GlobalConfigurationBuilder().nonClusteredDefault();
        global.jmx().enabled(false);
        global.globalState().enable().persistentLocation(args[2]);
        DefaultCacheManager manager = new DefaultCacheManager(global.build());
        for (int i = 3; i < args.length; i++) {
            ConfigurationBuilder cache = new ConfigurationBuilder();
            cache.encoding().mediaType(MediaType.APPLICATION_OCTET_STREAM_TYPE); // opaque bytes, as the client sends
            cache.memory().maxCount(64);
            cache.persistence().passivation(false).addSoftIndexFileStore().syncWrites(true);
            manager.defineConfiguration(args[i], cache.build());
            manager.getCache(args[i]);
        }
        HotRodServer server = new HotRodServer();
        server.start(new HotRodServerConfigurationBuilder().host(host).port(port).build(), manager);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            manager.stop();
            stopped.countDown();
        }));
        System.out.println("hotrod-test-server ready " + host + ":" + port);
        System.out.flush();
        stopped.await();
    }
}
