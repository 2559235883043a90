package dev.p2psuite.storage.core;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * Splits a content streamed in arbitrary chunks into {@link Manifest#PIECE_SIZE} pieces, hashing as the bytes arrive,
 * and hands each completed piece to a {@link PieceSink} so the caller can store it before the content ends;
 * {@link #finish()} then gives the manifest. Never holds more than one piece: a chunk that covers a whole piece at a
 * piece boundary is handed over without copying, other bytes are copied once into a reused piece buffer.
 * Not thread-safe; one instance per put.
 */
public final class PieceHasher {

    /** Receives each completed piece, in order. */
    @FunctionalInterface
    public interface PieceSink {
        /**
         * Called once per piece, in index order. {@code data} is a read-only buffer whose remaining bytes are exactly
         * the piece; it is valid only during this call (it may view the caller's chunk or the hasher's reused
         * buffer), so a sink that keeps the bytes must copy them. {@code sha256} is a fresh 32-byte array the sink
         * may keep (identical pieces have identical hashes, so the store can deduplicate by it).
         */
        void onPiece(int index, ByteBuffer data, byte[] sha256);
    }

    private static final int INITIAL_HASH_CAPACITY = 64 * Manifest.HASH_BYTES;

    private final PieceSink sink;
    private final MessageDigest digest = Sha256.newDigest();
    /** The current partial piece; allocated only when a piece must be assembled from several chunks. */
    private byte[] buffer;
    private int fill;
    private long total;
    private int pieces;
    private byte[] hashes = new byte[INITIAL_HASH_CAPACITY];
    private boolean finished;

    public PieceHasher(PieceSink sink) {
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /** A hasher that only computes the manifest. */
    public static PieceHasher withoutSink() {
        return new PieceHasher((index, data, sha256) -> { });
    }

    /** The manifest of an in-memory content (tests, small contents). */
    public static Manifest manifestOf(byte[] content) {
        return withoutSink().update(content).finish();
    }

    public PieceHasher update(byte[] chunk) {
        return update(chunk, 0, chunk.length);
    }

    /**
     * Feeds the next {@code length} bytes of the content. Completed pieces reach the sink before this returns.
     *
     * @throws IllegalArgumentException if the content would exceed {@link Manifest#MAX_SIZE_BYTES}
     */
    public PieceHasher update(byte[] chunk, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, chunk.length);
        admit(length);
        while (length > 0) {
            if (fill == 0 && length >= Manifest.PIECE_SIZE) {
                // A whole piece at a piece boundary: hash and hand over the caller's bytes, no copy.
                digest.update(chunk, offset, Manifest.PIECE_SIZE);
                emit(ByteBuffer.wrap(chunk, offset, Manifest.PIECE_SIZE).slice().asReadOnlyBuffer());
                offset += Manifest.PIECE_SIZE;
                length -= Manifest.PIECE_SIZE;
            } else {
                int n = Math.min(length, Manifest.PIECE_SIZE - fill);
                System.arraycopy(chunk, offset, pieceBuffer(), fill, n);
                digest.update(chunk, offset, n);
                fill += n;
                offset += n;
                length -= n;
                emitBufferIfFull();
            }
        }
        return this;
    }

    /** Feeds the remaining bytes of {@code chunk} and advances its position to its limit. */
    public PieceHasher update(ByteBuffer chunk) {
        if (chunk.hasArray()) {
            int n = chunk.remaining();
            update(chunk.array(), chunk.arrayOffset() + chunk.position(), n);
            chunk.position(chunk.position() + n);
            return this;
        }
        admit(chunk.remaining());
        while (chunk.hasRemaining()) {
            if (fill == 0 && chunk.remaining() >= Manifest.PIECE_SIZE) {
                ByteBuffer piece = chunk.slice().limit(Manifest.PIECE_SIZE);
                digest.update(piece.duplicate());
                emit(piece.asReadOnlyBuffer());
                chunk.position(chunk.position() + Manifest.PIECE_SIZE);
            } else {
                int n = Math.min(chunk.remaining(), Manifest.PIECE_SIZE - fill);
                chunk.get(pieceBuffer(), fill, n);
                digest.update(buffer, fill, n);
                fill += n;
                emitBufferIfFull();
            }
        }
        return this;
    }

    /** Content bytes fed so far. */
    public long bytesSoFar() {
        return total;
    }

    /** Pieces completed (and handed to the sink) so far. */
    public int piecesSoFar() {
        return pieces;
    }

    /**
     * Ends the content: hands the last, shorter piece (if any) to the sink and returns the manifest. Empty content
     * gives a manifest with no pieces.
     */
    public Manifest finish() {
        ensureOpen();
        if (fill > 0) {
            emit(ByteBuffer.wrap(buffer, 0, fill).asReadOnlyBuffer());
            fill = 0;
        }
        finished = true;
        buffer = null;
        return Manifest.ofTrusted(total, hashes, pieces);
    }

    private void admit(int length) {
        ensureOpen();
        if (total + length > Manifest.MAX_SIZE_BYTES) {
            throw new IllegalArgumentException("content exceeds the v1 limit of " + Manifest.MAX_SIZE_BYTES
                    + " bytes (" + Manifest.MAX_PIECES + " pieces of " + Manifest.PIECE_SIZE + " bytes)");
        }
        total += length;
    }

    private void ensureOpen() {
        if (finished) {
            throw new IllegalStateException("the hasher is finished (or its sink failed); start a new one");
        }
    }

    private byte[] pieceBuffer() {
        if (buffer == null) {
            buffer = new byte[Manifest.PIECE_SIZE];
        }
        return buffer;
    }

    private void emitBufferIfFull() {
        if (fill == Manifest.PIECE_SIZE) {
            emit(ByteBuffer.wrap(buffer).asReadOnlyBuffer());
            fill = 0;
        }
    }

    private void emit(ByteBuffer data) {
        byte[] sha256 = digest.digest();
        int at = pieces * Manifest.HASH_BYTES;
        if (at + Manifest.HASH_BYTES > hashes.length) {
            hashes = Arrays.copyOf(hashes, Math.min(hashes.length * 2, Manifest.MAX_PIECES * Manifest.HASH_BYTES));
        }
        System.arraycopy(sha256, 0, hashes, at, Manifest.HASH_BYTES);
        int index = pieces++;
        try {
            sink.onPiece(index, data, sha256);
        } catch (RuntimeException | Error e) {
            // The caller's store failed: the content is incomplete, so no manifest may come out of this hasher.
            finished = true;
            throw e;
        }
    }
}
