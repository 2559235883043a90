package dev.p2psuite.storage;

import dev.p2psuite.storage.core.Bitfield;
import dev.p2psuite.storage.core.ContentId;
import dev.p2psuite.storage.core.Manifest;
import dev.p2psuite.storage.core.PieceHasher;
import dev.p2psuite.storage.store.PieceStore;
import dev.p2psuite.storage.store.StoredContent;
import java.nio.ByteBuffer;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Contents over a {@link PieceStore}, without gRPC: streaming puts (pieces hashed with {@link PieceHasher} and
 * stored as they complete, manifest last), piece reads, what is held, listing and deletion. Blocking; callers run it
 * on I/O threads.
 *
 * <p>Deletion removes a content's pieces that no other manifest uses. Pieces of puts in progress are "pinned" so a
 * concurrent delete cannot remove a piece that a put found already stored and counted on; deletes take a write lock
 * that excludes the pin-and-check step of puts (within this process: clustered instances do not share the lock).
 */
public final class ContentStore {

    /** Incomplete held-bitfields are recomputed after this long (pieces may arrive through other contents). */
    static final long HELD_CACHE_NANOS = 2_000_000_000L;
    /** Held-bitfields cached (each at most 3.75 KB). */
    static final int HELD_CACHE_ENTRIES = 1024;
    /**
     * Pieces fetched from peers kept on the heap from the moment they are verified and handed to the store (16 MiB):
     * the in-order reader that streams a download to its client (ReadContent wait_for_fetch) then takes the bytes it
     * waits for from memory instead of reading each one back from the file store (a read and two 256 KiB copies
     * through the store's marshalling per piece, the largest cost of a download in JFR profiles). The download
     * fetches at most {@link Download#READ_AHEAD_PIECES} past that reader, so this many cover it; another reader
     * further behind reads the store.
     */
    static final int RECENT_PIECES = 64;

    /** What became of a put. */
    public record PutResult(StoredContent content, boolean alreadyPresent, int piecesStored, int piecesDeduplicated) {
    }

    /** Told when pieces or contents appear or go (WatchChoke "have", downloads). */
    public interface Listener {
        /** Pieces of {@code id} now held and verified. */
        void piecesAdded(ContentId id, int[] indexes);

        /** The manifest of {@code id} was deleted. */
        void contentRemoved(ContentId id);
    }

    /** One page of the listing, ordered by content ID. */
    public record Page(List<StoredContent> items, String nextToken) {
    }

    private static final class Held {
        final Bitfield bits;
        long computedAt;
        /** Every piece counted was read back or written durably here, not only listed in the store's index. */
        final boolean exact;

        Held(Bitfield bits, long computedAt, boolean exact) {
            this.bits = bits;
            this.computedAt = computedAt;
            this.exact = exact;
        }
    }

    private final PieceStore store;
    private final int putPipeline;
    private final long minFreeBytes;
    private final InstantSource clock;
    private final ReadWriteLock deleteLock = new ReentrantReadWriteLock();
    /** Piece hash (hex) -> puts that rely on it being kept. */
    private final Map<String, AtomicInteger> pins = new ConcurrentHashMap<>();
    /** Piece hash (hex) -> its write in progress, so a put that finds it "already stored" waits until it is durable. */
    private final Map<String, CompletableFuture<Void>> pendingWrites = new ConcurrentHashMap<>();
    private final Map<ContentId, Held> heldCache = Collections.synchronizedMap(
            new LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<ContentId, Held> eldest) {
                    return size() > HELD_CACHE_ENTRIES;
                }
            });
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong piecesRead = new java.util.concurrent.atomic.AtomicLong();
    /** Piece hash (hex) -> bytes of a recently verified piece (its write may still run); oldest evicted first. */
    private final Map<String, byte[]> recent = Collections.synchronizedMap(
            new LinkedHashMap<>(RECENT_PIECES * 2, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
                    return size() > RECENT_PIECES;
                }
            });
    private final java.util.concurrent.atomic.AtomicLong recentHits = new java.util.concurrent.atomic.AtomicLong();

    public ContentStore(PieceStore store, int putPipeline, InstantSource clock) {
        this(store, putPipeline, 0, clock);
    }

    /**
     * @param minFreeBytes new pieces are refused (RESOURCE_EXHAUSTED) when the store's disk would have less free
     */
    public ContentStore(PieceStore store, int putPipeline, long minFreeBytes, InstantSource clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.minFreeBytes = minFreeBytes;
        if (putPipeline < 1) {
            throw new IllegalArgumentException("put pipeline must be >= 1 piece, got " + putPipeline);
        }
        this.putPipeline = putPipeline;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public PieceStore store() {
        return store;
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public void removeListener(Listener listener) {
        listeners.remove(listener);
    }

    // ---- put ------------------------------------------------------------------------------------------------------

    /**
     * Starts a put. {@code metadata} is the serialized ContentMetadata (advisory); {@code expectedSize} the announced
     * total, or 0 if unknown.
     */
    public PutSession beginPut(byte[] metadata, long expectedSize) {
        if (expectedSize < 0 || expectedSize > Manifest.MAX_SIZE_BYTES) {
            throw StorageException.invalid("expected_size_bytes " + Long.toUnsignedString(expectedSize)
                    + " is over the v1 limit of " + Manifest.MAX_SIZE_BYTES + " bytes (" + Manifest.MAX_PIECES
                    + " pieces of " + Manifest.PIECE_SIZE + ")");
        }
        return new PutSession(metadata, expectedSize);
    }

    /**
     * One streaming put: {@link #write} the content in chunks of any size, then {@link #finish}; or {@link #abort}.
     * Holds at most one piece being assembled plus {@link #putPipeline} pieces being written. Not thread-safe: feed
     * it from one thread at a time.
     */
    public final class PutSession {
        private final byte[] metadata;
        private final long expectedSize;
        private final PieceHasher hasher = new PieceHasher(this::onPiece);
        private final ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
        private final Set<String> pinned = new HashSet<>();
        private int stored;
        private int deduplicated;
        private boolean closed;
        /** A whole-piece chunk the caller gave up (see {@link #writeOwned}), kept instead of copied; else null. */
        private byte[] handedOver;

        private PutSession(byte[] metadata, long expectedSize) {
            this.metadata = metadata == null ? new byte[0] : metadata.clone();
            this.expectedSize = expectedSize;
        }

        /** Feeds the next bytes; completed pieces are stored before this returns (their writes may be in flight). */
        public void write(ByteBuffer chunk) {
            ensureOpen();
            long after = hasher.bytesSoFar() + chunk.remaining();
            if (expectedSize > 0 && after > expectedSize) {
                throw StorageException.invalid("more content than announced: expected_size_bytes is " + expectedSize
                        + " but " + after + " bytes arrived");
            }
            try {
                hasher.update(chunk);
            } catch (IllegalArgumentException e) {
                throw StorageException.invalid(e.getMessage());
            }
        }

        /**
         * Like {@link #write}, but the caller gives up {@code chunk} (it must never change it again): a chunk that is
         * exactly one piece at a piece boundary (the usual 262,144-byte chunks) is then stored as it is, not copied.
         */
        public void writeOwned(byte[] chunk) {
            if (chunk.length == Manifest.PIECE_SIZE && hasher.bytesSoFar() % Manifest.PIECE_SIZE == 0) {
                handedOver = chunk; // the hasher emits exactly this array as the next piece (PieceHasher.update)
            }
            try {
                write(ByteBuffer.wrap(chunk));
            } finally {
                handedOver = null;
            }
        }

        public long bytesSoFar() {
            return hasher.bytesSoFar();
        }

        /** Ends the content: waits until every piece is durable, then stores the manifest (durably) and returns. */
        public PutResult finish() {
            ensureOpen();
            if (expectedSize > 0 && hasher.bytesSoFar() != expectedSize) {
                throw StorageException.invalid("content ended after " + hasher.bytesSoFar()
                        + " bytes but expected_size_bytes announced " + expectedSize);
            }
            try {
                Manifest manifest = hasher.finish();
                while (!inFlight.isEmpty()) {
                    inFlight.poll().join();
                }
                ContentId id = manifest.contentId();
                Optional<StoredContent> existing = store.getContent(id);
                boolean wasComplete = existing.isPresent() && held(existing.get()).isComplete();
                StoredContent content = new StoredContent(manifest, metadata,
                        existing.map(StoredContent::addedUnixMs).orElse(clock.millis()));
                if (existing.isEmpty() || !java.util.Arrays.equals(existing.get().metadata(), metadata)) {
                    store.putContent(content); // last: a manifest is only ever stored over durable pieces
                }
                markAllHeld(manifest);
                if (!wasComplete) {
                    fire(id, Bitfield.full(manifest.pieceCount()).toIndexes());
                }
                return new PutResult(content, wasComplete && stored == 0, stored, deduplicated);
            } finally {
                close();
            }
        }

        /** Abandons the put: no manifest is stored; pieces already written stay (they may serve other contents). */
        public void abort() {
            close();
        }

        private void onPiece(int index, ByteBuffer data, byte[] sha256) {
            String hex = HexFormat.of().formatHex(sha256);
            CompletableFuture<Void> write = null;
            deleteLock.readLock().lock();
            try {
                if (pinned.add(hex)) {
                    pins.computeIfAbsent(hex, k -> new AtomicInteger()).incrementAndGet();
                }
                CompletableFuture<Void> pending = pendingWrites.get(hex);
                if (pending != null) {
                    // Identical bytes are being written by this or another put: count on that write, once durable.
                    deduplicated++;
                    inFlight.add(pending);
                } else if (isStored(sha256)) {
                    deduplicated++;
                } else {
                    ensureRoom(data.remaining());
                    byte[] copy;
                    if (handedOver != null && handedOver.length == data.remaining()) {
                        copy = handedOver;
                    } else {
                        copy = new byte[data.remaining()];
                        data.get(copy);
                    }
                    write = store.putPiece(sha256, copy);
                    pendingWrites.put(hex, write);
                    CompletableFuture<Void> w = write;
                    write.whenComplete((v, e) -> pendingWrites.remove(hex, w));
                    stored++;
                    inFlight.add(write);
                }
            } finally {
                deleteLock.readLock().unlock();
            }
            handedOver = null; // only the first piece of the chunk can be the chunk itself
            // Bounded pipeline: several writes in flight share one fsync (group commit); never more pieces in memory.
            while (inFlight.size() > putPipeline) {
                inFlight.poll().join();
            }
        }

        private void ensureOpen() {
            if (closed) {
                throw new IllegalStateException("the put is already finished or aborted");
            }
        }

        private void close() {
            if (closed) {
                return;
            }
            closed = true;
            for (String hex : pinned) {
                pins.computeIfPresent(hex, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
            }
            pinned.clear();
        }
    }

    // ---- read -----------------------------------------------------------------------------------------------------

    public Optional<StoredContent> content(ContentId id) {
        return store.getContent(id);
    }

    /** The content's record, or NOT_FOUND with a message naming the ID. */
    public StoredContent require(ContentId id) {
        return store.getContent(id).orElseThrow(() -> StorageException.notFound("content " + id
                + " is not on this node (no manifest stored here); put it or fetch it first"));
    }

    /** Piece {@code index} of the content, or null if not held. The array is shared: do not modify it. */
    public byte[] piece(StoredContent content, int index) {
        byte[] data = recentPiece(content, index);
        if (data != null) {
            return data;
        }
        piecesRead.incrementAndGet();
        Manifest m = content.manifest();
        data = store.getPiece(m.pieceHash(index));
        if (data != null && data.length != m.pieceLength(index)) {
            throw new IllegalStateException("stored piece " + index + " of " + content.contentId() + " has "
                    + data.length + " bytes, expected " + m.pieceLength(index) + " (store damaged)");
        }
        return data;
    }

    /**
     * The piece if it is among the recently fetched pieces in memory (verified, its write may still run), else null;
     * never touches the store, so it may run on an event loop.
     */
    public byte[] recentPiece(StoredContent content, int index) {
        byte[] data = recent.isEmpty() ? null
                : recent.get(HexFormat.of().formatHex(content.manifest().pieceHash(index)));
        if (data != null) {
            piecesRead.incrementAndGet();
            recentHits.incrementAndGet();
        }
        return data;
    }

    /** Piece reads since start (metrics; tests of read-ahead bounds). */
    public long piecesRead() {
        return piecesRead.get();
    }

    /** Piece reads served from the recently fetched pieces in memory rather than the store (tests, metrics). */
    public long piecesReadFromMemory() {
        return recentHits.get();
    }

    /**
     * Which pieces of the content are held (a copy), as the store's index lists them: cheap, for advertising and
     * summaries. After a crash it may count a torn piece; {@link #heldExactly} is for deciding what to fetch.
     */
    public Bitfield held(StoredContent content) {
        return held(content, false);
    }

    /** Which pieces of the content are held (a copy), each one checked readable (resuming a download). */
    public Bitfield heldExactly(StoredContent content) {
        return held(content, true);
    }

    private Bitfield held(StoredContent content, boolean exactly) {
        ContentId id = content.contentId();
        long now = System.nanoTime();
        Held h = heldCache.get(id);
        if (h != null) {
            synchronized (h) {
                boolean fresh = now - h.computedAt < HELD_CACHE_NANOS;
                if ((h.bits.isComplete() && (h.exact || !exactly)) || (!exactly && fresh)) {
                    return h.bits.copy();
                }
            }
        }
        Manifest m = content.manifest();
        Bitfield bits = new Bitfield(m.pieceCount());
        for (int i = 0; i < m.pieceCount(); i++) {
            byte[] sha = m.pieceHash(i);
            // The index first: for a piece not held it answers as surely as a load, and far sooner (a new
            // download's 1,024 misses took 78 ms through the cache, 9 ms through the index, before its first request).
            if (store.indexHasPiece(sha) && (!exactly || store.hasPiece(sha))) {
                bits.set(i);
            }
        }
        heldCache.put(id, new Held(bits.copy(), now, exactly));
        return bits;
    }

    // ---- pieces from elsewhere (fetch) ----------------------------------------------------------------------------

    /**
     * Whether a piece is stored and readable, so its write can be skipped. The store's index is asked first: it lists
     * every piece held (and maybe one a crash tore), so a new piece costs no load through the cache (~76 µs per miss
     * in Infinispan); a listed one is then checked readable.
     */
    private boolean isStored(byte[] sha256) {
        return store.indexHasPiece(sha256) && store.hasPiece(sha256);
    }

    /**
     * Stores a piece of {@code content} that was verified against its manifest; the future completes once durable.
     * The caller gives up {@code data}.
     */
    public CompletableFuture<Void> storeVerifiedPiece(StoredContent content, int index, byte[] data) {
        byte[] sha = content.manifest().pieceHash(index);
        String hex = HexFormat.of().formatHex(sha);
        CompletableFuture<Void> pending = pendingWrites.get(hex);
        CompletableFuture<Void> write;
        if (pending != null) {
            write = pending;
        } else if (isStored(sha)) {
            write = CompletableFuture.completedFuture(null);
        } else {
            ensureRoom(data.length);
            // In memory from now on: the in-order reader asks for a piece as soon as it is handed to the store, and
            // the store would answer from its log before the group fsync (a 256 KiB read and copy per piece).
            recent.put(hex, data);
            write = store.putPiece(sha, data);
            pendingWrites.put(hex, write);
            CompletableFuture<Void> w = write;
            write.whenComplete((v, e) -> {
                pendingWrites.remove(hex, w);
                if (e != null) {
                    recent.remove(hex); // not stored: the reader must not be served it as held
                }
            });
        }
        return write.thenRun(() -> {
            markHeld(content.contentId(), content.manifest().pieceCount(), index);
            fire(content.contentId(), new int[] {index});
        });
    }

    /** Stores a manifest fetched from a peer and verified against its ID (no pieces yet). Returns what is stored. */
    public StoredContent storeFetchedManifest(Manifest manifest, byte[] metadata) {
        deleteLock.readLock().lock();
        try {
            Optional<StoredContent> existing = store.getContent(manifest.contentId());
            if (existing.isPresent()) {
                return existing.get();
            }
            StoredContent content = new StoredContent(manifest, metadata, clock.millis());
            store.putContent(content);
            return content;
        } finally {
            deleteLock.readLock().unlock();
        }
    }

    /** RESOURCE_EXHAUSTED rather than filling the disk (the file store needs room to compact, other services too). */
    private void ensureRoom(int bytes) {
        if (minFreeBytes <= 0) {
            return;
        }
        long free = store.usableBytes();
        if (free - bytes < minFreeBytes) {
            throw new StorageException(StorageException.Kind.RESOURCE_EXHAUSTED, "the store is full: " + free
                    + " bytes free where pieces are kept, and p2p.storage.min-free-bytes keeps " + minFreeBytes
                    + " free; delete contents or add space");
        }
    }

    private void markHeld(ContentId id, int pieceCount, int index) {
        Held h = heldCache.get(id);
        if (h != null) {
            synchronized (h) {
                if (h.bits.pieceCount() == pieceCount) {
                    h.bits.set(index);
                }
            }
        }
    }

    private void markAllHeld(Manifest manifest) {
        heldCache.put(manifest.contentId(), new Held(Bitfield.full(manifest.pieceCount()), System.nanoTime(), true));
    }

    private void fire(ContentId id, int[] indexes) {
        if (indexes.length == 0) {
            return;
        }
        for (Listener l : listeners) {
            l.piecesAdded(id, indexes);
        }
    }

    // ---- list and delete ------------------------------------------------------------------------------------------

    /** Contents ordered by ID, {@code pageSize} after {@code token} (the last ID of the previous page, or empty). */
    public Page list(int pageSize, String token) {
        ContentId after = null;
        if (token != null && !token.isEmpty()) {
            try {
                after = ContentId.parse(token);
            } catch (IllegalArgumentException e) {
                throw StorageException.invalid("page_token is not one this service issued: " + e.getMessage());
            }
        }
        List<ContentId> ids = new ArrayList<>(store.contentIds());
        Collections.sort(ids);
        List<StoredContent> items = new ArrayList<>();
        String next = "";
        for (ContentId id : ids) {
            if (after != null && id.compareTo(after) <= 0) {
                continue;
            }
            if (items.size() == pageSize) {
                next = items.get(items.size() - 1).contentId().toString();
                break;
            }
            store.getContent(id).ifPresent(items::add); // deleted meanwhile: skipped
        }
        return new Page(items, next);
    }

    /**
     * Forgets a content: its manifest, then its pieces that no other manifest (and no put in progress) uses.
     * Returns the bytes of piece data freed.
     */
    public long delete(ContentId id) {
        long freed = 0;
        deleteLock.writeLock().lock();
        try {
            StoredContent content = require(id);
            store.removeContent(id);
            heldCache.remove(id);
            Manifest m = content.manifest();
            Map<String, Integer> candidates = new HashMap<>();
            for (int i = 0; i < m.pieceCount(); i++) {
                candidates.put(HexFormat.of().formatHex(m.pieceHash(i)), m.pieceLength(i));
            }
            for (ContentId other : store.contentIds()) {
                if (candidates.isEmpty()) {
                    break;
                }
                if (other.equals(id)) {
                    continue;
                }
                Optional<StoredContent> o = store.getContent(other);
                if (o.isPresent()) {
                    Manifest om = o.get().manifest();
                    for (int i = 0; i < om.pieceCount() && !candidates.isEmpty(); i++) {
                        candidates.remove(HexFormat.of().formatHex(om.pieceHash(i)));
                    }
                }
            }
            for (Map.Entry<String, Integer> e : candidates.entrySet()) {
                if (pins.containsKey(e.getKey()) || pendingWrites.containsKey(e.getKey())) {
                    continue; // a put in progress counts on it
                }
                recent.remove(e.getKey());
                if (store.removePiece(HexFormat.of().parseHex(e.getKey()))) {
                    freed += e.getValue();
                }
            }
        } finally {
            deleteLock.writeLock().unlock();
        }
        for (Listener l : listeners) {
            l.contentRemoved(id);
        }
        return freed;
    }
}
