package dev.p2psuite.storage;

import dev.p2psuite.grpc.PeerDialerMetrics;
import dev.p2psuite.storage.core.Choker;
import dev.p2psuite.storage.store.PieceStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.InstantSource;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The running storage-service: the store, the content logic over it, the I/O pool that keeps store access off the
 * Vert.x event loops, the timer, the tit-for-tat exchange and the downloads.
 */
@ApplicationScoped
@Startup
public class StorageRuntime {

    private final StorageConfig config;
    private final PieceStore store;
    private final ThreadPoolExecutor io;
    private final ScheduledExecutorService timer;
    private final ContentStore contents;
    private final Exchange exchange;
    private final Fetches fetches;

    public StorageRuntime(StorageConfig config, PieceStore store, MeterRegistry registry) {
        this.config = config;
        this.store = store;
        StorageConfig.Storage s = config.storage();
        NativeSha256.install(s.sha256(), s.nssLibraryDir());
        AtomicInteger n = new AtomicInteger();
        // Bounded threads, unbounded queue of small tasks: every stream keeps at most one task queued per step.
        this.io = new ThreadPoolExecutor(s.ioThreads(), s.ioThreads(), 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "storage-io-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "storage-timer");
            t.setDaemon(true);
            return t;
        });
        InstantSource clock = InstantSource.system();
        this.contents = new ContentStore(store, s.putPipeline(), s.minFreeBytes(), clock);
        StorageConfig.Exchange x = s.exchange();
        Choker.Config choker = new Choker.Config(x.unchokeSlots(), x.rechokeInterval(), x.optimisticInterval(),
                Choker.RATE_WINDOW, Choker.NEW_PEER_AGE, Choker.NEW_PEER_OPTIMISTIC_WEIGHT,
                Exchange.seedingPolicy(x.seedingPolicy()), x.freeRiderCreditBytes());
        Fetches[] holder = new Fetches[1];
        this.exchange = new Exchange(choker, x.uploadLimitBytesPerS(), x.downloadLimitBytesPerS(),
                x.banAfterBadPieces(), clock, new SplittableRandom(), timer, x.tickInterval(),
                () -> holder[0] != null && holder[0].anyRunning());
        StorageConfig.Fetch f = s.fetch();
        GrpcProviders providers = new GrpcProviders(config.dataDir(), f.gatewayAddress(), f.requestTimeout(),
                config.holePunch().settings());
        PeerDialerMetrics.register(registry, providers, GrpcProviders::currentDialer);
        this.fetches = new Fetches(contents, exchange,
                providers, Download.Settings.of(f),
                io, timer);
        holder[0] = fetches;
        contents.addListener(exchange);
        contents.addListener(fetches);
    }

    StorageConfig config() {
        return config;
    }

    PieceStore store() {
        return store;
    }

    ContentStore contents() {
        return contents;
    }

    Exchange exchange() {
        return exchange;
    }

    Fetches fetches() {
        return fetches;
    }

    ThreadPoolExecutor io() {
        return io;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    @PreDestroy
    void stop() {
        fetches.close();
        exchange.close();
        timer.shutdownNow();
        io.shutdown();
        try {
            io.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
