package dev.p2psuite.storage;

import dev.p2psuite.grpc.HolePunchConfig;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * storage-service settings. Each is a property or an environment variable ({@code p2p.storage.mode} =
 * {@code P2P_STORAGE_MODE}); README, "Configuration", lists them. Durations take ISO-8601 or the short form
 * ({@code 10s}, {@code 500ms}) so tests can run every interval fast.
 */
@ConfigMapping(prefix = "p2p")
public interface StorageConfig {

    /** The node's data directory, shared by its services; this service keeps its pieces in {@code storage/}. */
    @WithDefault("p2p-data")
    Path dataDir();

    /**
     * On stop (SIGTERM), how long transfers in flight may take to finish before the service exits anyway; new ones
     * are refused meanwhile ({@link TransferDrain}). Keep it below the orchestrator's kill delay (./p2p: 20 s).
     */
    @WithDefault("15s")
    java.time.Duration shutdownGrace();

    Storage storage();

    /** Who computes SHA-256 ({@code p2p.storage.sha256}). */
    enum Sha256 { AUTO, NSS, JDK }

    /** Where pieces and manifests live. */
    enum Mode {
        /**
         * One embedded Infinispan cache manager per process with a persistent soft-index file store per cache under
         * the store directory; every write is fsynced before it is acknowledged.
         */
        EMBEDDED,
        /**
         * Several storage-service instances of one node share one replicated (or distributed) embedded cache over
         * JGroups TCP; each instance keeps its own file store in its own directory ({@code p2p.storage.directory}).
         */
        CLUSTERED,
        /**
         * A remote Infinispan server (or cluster) over Hot Rod holds the caches; the server's operator defines them
         * and their persistence. The service keeps nothing on local disk.
         */
        REMOTE
    }

    /** {@code p2p.hole-punch.*}: upgrading relayed routes to hole-punched ones (shared with dht-service). */
    HolePunchConfig holePunch();

    interface Storage {
        /** {@code embedded} (default), {@code clustered} or {@code remote}. */
        @WithDefault("embedded")
        Mode mode();

        /**
         * Infinispan's global state directory (file stores nest below it); default {@code <data-dir>/storage}. One
         * directory per process: Infinispan locks it, so clustered instances of one node each need their own.
         */
        Optional<Path> directory();

        /**
         * Pieces kept on the heap besides the file store (LRU); 32 x 256 KiB = 8 MiB, small enough for a 256 MiB
         * heap, enough to serve a piece asked of several peers at once from memory.
         */
        @WithDefault("32")
        int memoryPieces();

        /** Manifests kept on the heap (each up to ~960 KB for 30,000 pieces, usually tiny). */
        @WithDefault("16")
        int memoryManifests();

        /**
         * Threads doing store I/O (reads, writes, fsync waits) off the Vert.x event loops; bounds how many RPCs touch
         * the disk at once.
         */
        @WithDefault("8")
        int ioThreads();

        /**
         * Pieces of one PutContent whose durable write may be outstanding at once: the file store groups their
         * fsyncs into one (group commit) instead of one fsync per piece; memory cost is this many pieces per put.
         */
        @WithDefault("8")
        int putPipeline();

        /**
         * New pieces are refused with RESOURCE_EXHAUSTED when the disk holding the store would have less free than
         * this, in bytes (256 MiB: room for the file store's compaction and the node's other services).
         */
        @WithDefault("268435456")
        long minFreeBytes();

        /**
         * Who computes SHA-256 (piece verification, put hashing): {@code auto} = the system's NSS through the JDK's
         * SunPKCS11 provider if found, else the JDK's own; {@code nss} = NSS or the service does not start;
         * {@code jdk} = the JDK's own (fast only under the C2 JIT). See {@link NativeSha256}.
         */
        @WithDefault("auto")
        Sha256 sha256();

        /** Directory holding NSS's {@code libsoftokn3.so}; default: the first of the usual library directories. */
        Optional<Path> nssLibraryDir();

        Cluster cluster();

        Remote remote();

        Exchange exchange();

        Fetch fetch();
    }

    /** {@code p2p.storage.mode=clustered}: JGroups TCP with a static member list (TCPPING), loopback by default. */
    interface Cluster {
        /** Cluster name; instances with the same name (and reachable hosts) share the caches. */
        @WithDefault("p2p-storage")
        String name();

        /** Address JGroups binds to. */
        @WithDefault("127.0.0.1")
        String bindAddress();

        /** TCP port JGroups binds to (each instance on one host needs its own). */
        @WithDefault("7800")
        int bindPort();

        /** Every member, {@code host[port]} comma separated, e.g. {@code 127.0.0.1[7800],127.0.0.1[7801]}. */
        @WithDefault("127.0.0.1[7800]")
        List<String> initialHosts();

        /** {@code replicated} (every instance holds every piece) or {@code distributed} (num-owners copies). */
        @WithDefault("replicated")
        String cacheMode();

        /** Copies of each entry in {@code distributed} mode. */
        @WithDefault("2")
        int numOwners();
    }

    /** {@code p2p.storage.mode=remote}: the Hot Rod servers holding caches {@code pieces} and {@code manifests}. */
    interface Remote {
        /** Hot Rod servers, {@code host:port} comma separated (required in remote mode). */
        Optional<List<String>> servers();
    }

    /** Tit-for-tat and rate limits (BEP 3). */
    interface Exchange {
        /** Regular unchoke slots (BEP 3: 4). */
        @WithDefault("4")
        int unchokeSlots();

        /** Re-evaluation of the slots (BEP 3: 10 s). */
        @WithDefault("10s")
        Duration rechokeInterval();

        /** Rotation of the optimistic unchoke (BEP 3: 30 s). */
        @WithDefault("30s")
        Duration optimisticInterval();

        /** How often the choker is ticked; at most a second so rechokes happen on time. */
        @WithDefault("1s")
        Duration tickInterval();

        /** How a node that only seeds fills its slots: {@code round-robin} or {@code fastest-upload}. */
        @WithDefault("round-robin")
        String seedingPolicy();

        /** Node-wide upload limit, bytes per second; 0 = unlimited. */
        @WithDefault("0")
        long uploadLimitBytesPerS();

        /** Node-wide download limit, bytes per second; 0 = unlimited. */
        @WithDefault("0")
        long downloadLimitBytesPerS();

        /** Bad pieces after which a peer is banned (storage-core PeerPenalties explains 2). */
        @WithDefault("2")
        int banAfterBadPieces();

        /** Upload credit of a peer that never uploaded to us (storage-core Choker: 4 pieces). */
        @WithDefault("1048576")
        long freeRiderCreditBytes();

        /**
         * Whether this node uploads pieces to other nodes. {@code false} makes a node that only downloads (one on a
         * metered link, or a BEP 3 "free rider" in a test swarm): peers' RequestPieces and WatchChoke calls are
         * refused with PERMISSION_DENIED saying so, and their downloads drop this node as a provider at once. Its own
         * downloads, and reads by its own gateway, are unaffected.
         */
        @WithDefault("true")
        boolean servePeers();
    }

    /** Downloads (Fetch). */
    interface Fetch {
        /** This node's gateway, which owns the node's signed record ({@code GatewayInternal/SelfRecord}). */
        @WithDefault("127.0.0.1:7000")
        String gatewayAddress();

        /** Deadline of one GetManifest / GetHave call to a provider. */
        @WithDefault("5s")
        Duration requestTimeout();

        /** A requested piece not delivered within this is retried elsewhere. */
        @WithDefault("30s")
        Duration pieceTimeout();

        /**
         * Pieces requested at a time from a provider that lacks some (a leecher; seeds: {@link #seedPipelineDepth}),
         * 1..64 (the most one RequestPieces call carries). Each call crosses three processes (this service, the
         * provider's gateway and storage-service), so deep pipelines mean few calls: 32 (8 MiB) instead of 8 took a
         * seeder's storage-service from ~0.4 to ~0.28 CPU-s per 85 MiB served and bench/transfer from ~2.5 to ~2.2 s.
         * Shallow for leechers: at 32 for every provider, FreeRiderSwarmTest's free rider finished only 1.14x after
         * the contributors (1.67-1.76x at 8).
         */
        @WithDefault("8")
        int pipelineDepth();

        /**
         * {@link #pipelineDepth} for a provider that holds every piece (a seed), 1..64. Deep pipelines mean few calls:
         * with 32, bench/transfer's CPU per 256 MiB went from 4.2-4.9 to 3.4-4.0 CPU-s (with the read-ahead bound of
         * Download.READ_AHEAD_PIECES). Seeds do not trade, so tit-for-tat is unchanged: FreeRiderSwarmTest's free
         * rider finished 1.53-1.67x after the contributors at 32, as at 8 (1.51-1.76x). Not under a download limit
         * (download-limit-bytes-per-s): seeds then get {@link #pipelineDepth}, since each call reserves its bytes of
         * the limit up front and a deep one held back the calls to leechers (the test's contributors took 1.16-1.26x
         * their limit's time instead of 1.06-1.13x).
         */
        @WithDefault("32")
        int seedPipelineDepth();

        /** Providers downloaded from at once. */
        @WithDefault("8")
        int maxPeers();

        /** Failed calls in a row after which a provider is dropped from a download. */
        @WithDefault("3")
        int maxPeerFailures();

        /** How long a download with no usable provider waits (state STALLED) before failing with UNAVAILABLE. */
        @WithDefault("20s")
        Duration stallTimeout();
    }
}
