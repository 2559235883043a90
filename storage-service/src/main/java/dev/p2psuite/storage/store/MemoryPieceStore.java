package dev.p2psuite.storage.store;

import dev.p2psuite.storage.core.ContentId;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** A heap-only store for tests of the logic above {@link PieceStore}; nothing survives the process. */
public final class MemoryPieceStore implements PieceStore {

    private final Map<String, byte[]> pieces = new ConcurrentHashMap<>();
    private final Map<ContentId, byte[]> contents = new ConcurrentHashMap<>();

    @Override
    public CompletableFuture<Void> putPiece(byte[] sha256, byte[] data) {
        pieces.put(key(sha256), data);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public byte[] getPiece(byte[] sha256) {
        return pieces.get(key(sha256));
    }

    @Override
    public boolean hasPiece(byte[] sha256) {
        return pieces.containsKey(key(sha256));
    }

    @Override
    public boolean removePiece(byte[] sha256) {
        return pieces.remove(key(sha256)) != null;
    }

    @Override
    public void putContent(StoredContent content) {
        contents.put(content.contentId(), content.encode());
    }

    @Override
    public Optional<StoredContent> getContent(ContentId id) {
        byte[] encoded = contents.get(id);
        return encoded == null ? Optional.empty() : Optional.of(StoredContent.decode(encoded, id));
    }

    @Override
    public boolean removeContent(ContentId id) {
        return contents.remove(id) != null;
    }

    @Override
    public List<ContentId> contentIds() {
        return List.copyOf(contents.keySet());
    }

    /** Pieces held (tests: deduplication). */
    public int pieceCount() {
        return pieces.size();
    }

    @Override
    public String describe() {
        return "in-memory store (tests only)";
    }

    @Override
    public void close() {
    }

    static String key(byte[] sha256) {
        if (sha256.length != 32) {
            throw new IllegalArgumentException("piece key must be a 32-byte SHA-256, got " + sha256.length + " bytes");
        }
        return HexFormat.of().formatHex(sha256);
    }
}
