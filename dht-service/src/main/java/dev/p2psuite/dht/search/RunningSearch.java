package dev.p2psuite.dht.search;

import java.util.concurrent.CompletableFuture;

/** What the search handlers need: {@link SearchRuntime} in the service, a plain holder in tests and benchmarks. */
public interface RunningSearch {

    /** The engine, or a StatusRuntimeException (UNAVAILABLE) while the DHT node is not running yet. */
    FloodSearch require();

    /** The local metadata index (also readable before the engine runs). */
    MetadataIndex index();

    /** Reloads the index from storage now; completes when done (or failed: the index is then empty). */
    default CompletableFuture<Void> refreshIndex() {
        return CompletableFuture.completedFuture(null);
    }
}
