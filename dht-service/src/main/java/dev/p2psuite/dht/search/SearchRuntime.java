package dev.p2psuite.dht.search;

import dev.p2psuite.dht.DhtConfig;
import dev.p2psuite.dht.DhtRuntime;
import dev.p2psuite.dht.GrpcPeerRpc;
import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.Scheduler;
import io.grpc.Status;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.jboss.logging.Logger;

/**
 * This node's flood search: the index fed from storage-service from startup, and the engine, started on first use
 * once the DHT node runs (its neighbours come from the routing table, its queries go over the DHT's peer
 * connections). Query state lives on one thread of its own, apart from the DHT's.
 */
@ApplicationScoped
public class SearchRuntime implements RunningSearch {

    private static final Logger LOG = Logger.getLogger(SearchRuntime.class);

    private final DhtRuntime dht;
    private final SearchSettings settings;
    private final MetadataIndex index = new MetadataIndex();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "flood-search");
        t.setDaemon(true);
        return t;
    });
    private final StorageIndexFeed feed;
    private volatile FloodSearch engine;

    SearchRuntime(DhtConfig config, DhtRuntime dht) {
        this.dht = dht;
        this.settings = settings(config.dht().search());
        this.feed = new StorageIndexFeed(config.dht().storageAddress(), index, thread,
                config.dht().search().indexRefreshInterval());
    }

    /** The core settings from the service's configuration. */
    static SearchSettings settings(DhtConfig.Search c) {
        return SearchSettings.defaults()
                .withDefaultTtl(c.defaultTtl())
                .withNeighbours(c.neighbours())
                .withForwardRates(c.forwardRatePerNeighbour(), c.forwardRateTotal())
                .withQueryRatePerPeer(c.queryRatePerPeer())
                .withDuplicateMemory(c.duplicateMemory())
                .withHopMargin(c.hopMargin())
                .withNeighbourRefresh(c.neighbourRefresh());
    }

    void onStart(@Observes StartupEvent event) {
        feed.start();
    }

    @Override
    public FloodSearch require() {
        FloodSearch e = engine;
        if (e != null) {
            return e;
        }
        synchronized (this) {
            if (engine == null) {
                DhtNode node = dht.require();
                GrpcPeerRpc rpc = dht.peerRpc().orElseThrow(() -> Status.UNAVAILABLE
                        .withDescription("dht-service is starting: no peer connections yet").asRuntimeException());
                engine = new FloodSearch(dht.nodeKey(), () -> node.self().record(), settings, index,
                        NeighbourSource.routingTable(node), new GrpcSearchRpc(rpc, InstantSource.system()),
                        Scheduler.of(thread), thread, InstantSource.system(), new SecureRandom());
                LOG.infof("flood search running: %d neighbours wanted, default TTL %d", settings.neighbours(),
                        settings.defaultTtl());
            }
            return engine;
        }
    }

    @Override
    public MetadataIndex index() {
        return index;
    }

    @Override
    public CompletableFuture<Void> refreshIndex() {
        return feed.refresh();
    }

    void onStop(@Observes ShutdownEvent event) {
        feed.close();
        thread.shutdownNow();
    }
}
