package dev.p2psuite.storage.store;

import dev.p2psuite.storage.core.ContentId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Where pieces and manifests live. Pieces are keyed by their SHA-256, so identical pieces are stored once whatever
 * content they belong to; manifests are keyed by content ID. Implementations: Infinispan (embedded with a file store,
 * or clustered) and an in-memory one for tests of the logic above it. Thread-safe; every method may block on I/O, so
 * callers keep it off event loops.
 */
public interface PieceStore extends AutoCloseable {

    /**
     * Stores a piece under its SHA-256 (32 bytes). The future completes once the piece is durable (it survives
     * {@code kill -9} of the process), or exceptionally if it cannot be written. The store may keep {@code data}; the
     * caller must not change it afterwards. Writing a piece already held is harmless (same key, same bytes).
     */
    CompletableFuture<Void> putPiece(byte[] sha256, byte[] data);

    /** The piece with this SHA-256, or null if not held. The array may be shared: callers must not modify it. */
    byte[] getPiece(byte[] sha256);

    /** True if a piece with this SHA-256 is held. */
    boolean hasPiece(byte[] sha256);

    /**
     * Whether the store's index lists the piece, for counting many pieces (held bitfields) without reading each one.
     * May say true for a piece a crash tore, which a read then finds absent (and drops): rely on {@link #hasPiece}
     * before skipping a fetch or a write.
     */
    default boolean indexHasPiece(byte[] sha256) {
        return hasPiece(sha256);
    }

    /** Forgets a piece; true if it was held. */
    boolean removePiece(byte[] sha256);

    /** Stores a manifest (with its metadata); durable when this returns. */
    void putContent(StoredContent content);

    Optional<StoredContent> getContent(ContentId id);

    /** Forgets a manifest; true if it was held. */
    boolean removeContent(ContentId id);

    /** Every content with a manifest here, in no particular order. */
    List<ContentId> contentIds();

    /** Bytes still free where the store writes (the file system's usable space); Long.MAX_VALUE if unbounded. */
    default long usableBytes() {
        return Long.MAX_VALUE;
    }

    /** One line for logs and readiness: what backs the store and where. */
    String describe();

    @Override
    void close();
}
