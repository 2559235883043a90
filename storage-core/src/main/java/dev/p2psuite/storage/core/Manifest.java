package dev.p2psuite.storage.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a content is: its size and the SHA-256 of every 262,144-byte piece (the last one shorter; empty content has no
 * pieces). Immutable. The content ID is the multihash of {@link #canonicalBytes()}, laid out exactly as
 * {@code p2p/common/v1/types.proto} specifies (BE = big-endian):
 * <pre>
 *   ASCII "p2p-manifest-v1" | size_bytes (uint64) | piece_size (uint32) | piece count (uint32) | hashes (32 bytes each)
 * </pre>
 * The canonical bytes are the only state kept, so a manifest costs its encoded size once (at most ~960 KB).
 */
public final class Manifest {

    /** v1 piece length: 256 KiB as common BitTorrent practice; other values are rejected. */
    public static final int PIECE_SIZE = 262_144;
    /** At most 30,000 piece hashes, so a manifest (~960 KB) fits in one 1 MiB gRPC message. */
    public static final int MAX_PIECES = 30_000;
    /** Largest v1 content: {@link #MAX_PIECES} x {@link #PIECE_SIZE} = 7,864,320,000 bytes. */
    public static final long MAX_SIZE_BYTES = (long) MAX_PIECES * PIECE_SIZE;
    /** SHA-256 digest length of each piece hash. */
    public static final int HASH_BYTES = Sha256.DIGEST_BYTES;
    /** Domain separation tag at the start of the canonical encoding. */
    public static final String CANONICAL_TAG = "p2p-manifest-v1";

    private static final byte[] TAG = CANONICAL_TAG.getBytes(StandardCharsets.US_ASCII);
    private static final int SIZE_AT = TAG.length;
    private static final int PIECE_SIZE_AT = SIZE_AT + Long.BYTES;
    private static final int COUNT_AT = PIECE_SIZE_AT + Integer.BYTES;
    /** Bytes before the first hash: tag + size + piece size + count. */
    public static final int CANONICAL_HEADER_BYTES = COUNT_AT + Integer.BYTES;

    private final byte[] canonical;
    private final long sizeBytes;
    private final int pieceCount;
    private volatile ContentId contentId;

    private Manifest(byte[] canonical, long sizeBytes, int pieceCount) {
        this.canonical = canonical;
        this.sizeBytes = sizeBytes;
        this.pieceCount = pieceCount;
    }

    /** Builds and checks a manifest from its fields (e.g. a proto Manifest's fields 1-3; each hash is copied). */
    public static Manifest of(long sizeBytes, int pieceSize, List<byte[]> pieceHashes) {
        Objects.requireNonNull(pieceHashes, "piece hashes");
        int count = checkedPieceCount(sizeBytes, pieceSize, pieceHashes.size());
        byte[] canonical = header(sizeBytes, count);
        for (int i = 0; i < count; i++) {
            byte[] h = pieceHashes.get(i);
            if (h == null || h.length != HASH_BYTES) {
                throw new InvalidManifestException("piece hash " + i + " must be " + HASH_BYTES + " bytes, got "
                        + (h == null ? "none" : h.length));
            }
            System.arraycopy(h, 0, canonical, CANONICAL_HEADER_BYTES + i * HASH_BYTES, HASH_BYTES);
        }
        return new Manifest(canonical, sizeBytes, count);
    }

    /** Like {@link #of} with the hashes concatenated in piece order ({@code count x 32} bytes, copied). */
    public static Manifest ofConcatenatedHashes(long sizeBytes, int pieceSize, byte[] hashes) {
        Objects.requireNonNull(hashes, "piece hashes");
        if (hashes.length % HASH_BYTES != 0) {
            throw new InvalidManifestException("concatenated piece hashes must be a multiple of " + HASH_BYTES
                    + " bytes, got " + hashes.length);
        }
        int count = checkedPieceCount(sizeBytes, pieceSize, hashes.length / HASH_BYTES);
        byte[] canonical = header(sizeBytes, count);
        System.arraycopy(hashes, 0, canonical, CANONICAL_HEADER_BYTES, hashes.length);
        return new Manifest(canonical, sizeBytes, count);
    }

    /** Decodes and checks a canonical encoding (e.g. as stored by the piece store); the bytes are copied. */
    public static Manifest fromCanonicalBytes(byte[] encoded) {
        Objects.requireNonNull(encoded, "canonical manifest");
        if (encoded.length < CANONICAL_HEADER_BYTES
                || !Arrays.equals(encoded, 0, TAG.length, TAG, 0, TAG.length)) {
            throw new InvalidManifestException("not a canonical manifest: it must start with \"" + CANONICAL_TAG
                    + "\" and be at least " + CANONICAL_HEADER_BYTES + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(encoded);
        long size = b.getLong(SIZE_AT);
        int pieceSize = b.getInt(PIECE_SIZE_AT);
        long declared = Integer.toUnsignedLong(b.getInt(COUNT_AT));
        long present = (encoded.length - CANONICAL_HEADER_BYTES) / HASH_BYTES;
        if ((encoded.length - CANONICAL_HEADER_BYTES) % HASH_BYTES != 0 || declared != present) {
            throw new InvalidManifestException("canonical manifest declares " + declared + " pieces but carries "
                    + (encoded.length - CANONICAL_HEADER_BYTES) + " bytes of hashes");
        }
        int count = checkedPieceCount(size, pieceSize, (int) present);
        return new Manifest(encoded.clone(), size, count);
    }

    /** Number of pieces of a content of {@code sizeBytes}: ceil(size / {@link #PIECE_SIZE}); 0 for empty content. */
    public static int pieceCountFor(long sizeBytes) {
        if (sizeBytes < 0 || sizeBytes > MAX_SIZE_BYTES) {
            throw new IllegalArgumentException("content size must be 0.." + MAX_SIZE_BYTES + " bytes, got "
                    + Long.toUnsignedString(sizeBytes));
        }
        return (int) ((sizeBytes + PIECE_SIZE - 1) / PIECE_SIZE);
    }

    private static int checkedPieceCount(long sizeBytes, int pieceSize, int hashCount) {
        if (pieceSize != PIECE_SIZE) {
            throw new InvalidManifestException("piece size must be " + PIECE_SIZE + " bytes in v1, got "
                    + Integer.toUnsignedString(pieceSize));
        }
        if (sizeBytes < 0 || sizeBytes > MAX_SIZE_BYTES) {
            throw new InvalidManifestException("content size " + Long.toUnsignedString(sizeBytes)
                    + " bytes is over the v1 limit of " + MAX_SIZE_BYTES + " bytes (" + MAX_PIECES + " pieces)");
        }
        int expected = pieceCountFor(sizeBytes);
        if (hashCount != expected) {
            throw new InvalidManifestException("a content of " + sizeBytes + " bytes has " + expected
                    + " pieces, but the manifest lists " + hashCount + " piece hashes");
        }
        return expected;
    }

    private static byte[] header(long sizeBytes, int count) {
        byte[] canonical = new byte[CANONICAL_HEADER_BYTES + count * HASH_BYTES];
        ByteBuffer.wrap(canonical).put(TAG).putLong(sizeBytes).putInt(PIECE_SIZE).putInt(count);
        return canonical;
    }

    /** Used by {@link PieceHasher}, whose hashes are already checked: wraps without copying. */
    static Manifest ofTrusted(long sizeBytes, byte[] hashes, int count) {
        byte[] canonical = header(sizeBytes, count);
        System.arraycopy(hashes, 0, canonical, CANONICAL_HEADER_BYTES, count * HASH_BYTES);
        return new Manifest(canonical, sizeBytes, count);
    }

    /**
     * Checks that this manifest is the one {@code expected} names (a manifest from a peer is untrusted until this
     * passes); returns this manifest for chaining.
     *
     * @throws InvalidManifestException if the canonical encoding does not hash to the ID
     */
    public Manifest verifyAgainst(ContentId expected) {
        Objects.requireNonNull(expected, "expected content ID");
        if (!expected.equals(contentId())) {
            throw new InvalidManifestException("manifest does not match content ID " + expected
                    + " (it hashes to " + contentId() + "); the peer sent a wrong or forged manifest");
        }
        return this;
    }

    public long sizeBytes() {
        return sizeBytes;
    }

    public int pieceSize() {
        return PIECE_SIZE;
    }

    public int pieceCount() {
        return pieceCount;
    }

    /** Offset of piece {@code index}'s first byte in the content. */
    public long pieceOffset(int index) {
        Objects.checkIndex(index, pieceCount);
        return (long) index * PIECE_SIZE;
    }

    /** Length of piece {@code index}: {@link #PIECE_SIZE}, the last piece shorter. */
    public int pieceLength(int index) {
        Objects.checkIndex(index, pieceCount);
        return (int) Math.min(PIECE_SIZE, sizeBytes - (long) index * PIECE_SIZE);
    }

    /** Index of the piece holding byte {@code offset} (0 <= offset < size). */
    public int pieceIndexAt(long offset) {
        Objects.checkIndex(offset, sizeBytes);
        return (int) (offset / PIECE_SIZE);
    }

    /**
     * The pieces covering a byte range with the proto {@code ByteRange} rules: {@code length} 0 means through the
     * end, a range past the end is truncated; empty content gives an empty bitfield for offset 0.
     *
     * @throws IndexOutOfBoundsException if {@code offset} is past the end (OUT_OF_RANGE)
     */
    public Bitfield piecesCovering(long offset, long length) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("range offset and length must be >= 0, got " + offset + ", " + length);
        }
        Bitfield wanted = new Bitfield(pieceCount);
        if (sizeBytes == 0 && offset == 0) {
            return wanted;
        }
        if (offset >= sizeBytes) {
            throw new IndexOutOfBoundsException("range starts at byte " + offset + " but the content has "
                    + sizeBytes + " bytes");
        }
        long end = length == 0 || length > sizeBytes - offset ? sizeBytes : offset + length;
        int first = (int) (offset / PIECE_SIZE);
        int last = (int) ((end - 1) / PIECE_SIZE);
        for (int i = first; i <= last; i++) {
            wanted.set(i);
        }
        return wanted;
    }

    /** Sum of the lengths of the pieces set in {@code pieces}. */
    public long bytesIn(Bitfield pieces) {
        if (pieces.pieceCount() != pieceCount) {
            throw new IllegalArgumentException("bitfield has " + pieces.pieceCount() + " pieces, manifest "
                    + pieceCount);
        }
        int n = pieces.cardinality();
        if (n == 0) {
            return 0;
        }
        boolean hasLast = pieces.get(pieceCount - 1);
        return (long) (hasLast ? n - 1 : n) * PIECE_SIZE + (hasLast ? pieceLength(pieceCount - 1) : 0);
    }

    /** A copy of piece {@code index}'s SHA-256 (32 bytes). */
    public byte[] pieceHash(int index) {
        Objects.checkIndex(index, pieceCount);
        int at = CANONICAL_HEADER_BYTES + index * HASH_BYTES;
        return Arrays.copyOfRange(canonical, at, at + HASH_BYTES);
    }

    /** A read-only view of piece {@code index}'s hash (no copy; e.g. for {@code ByteString.copyFrom}). */
    public ByteBuffer pieceHashView(int index) {
        Objects.checkIndex(index, pieceCount);
        return ByteBuffer.wrap(canonical, CANONICAL_HEADER_BYTES + index * HASH_BYTES, HASH_BYTES)
                .slice().asReadOnlyBuffer();
    }

    /** Copies of all piece hashes, in order. */
    public List<byte[]> pieceHashes() {
        List<byte[]> out = new ArrayList<>(pieceCount);
        for (int i = 0; i < pieceCount; i++) {
            out.add(pieceHash(i));
        }
        return out;
    }

    /** A copy of the canonical encoding (the bytes the content ID hashes). */
    public byte[] canonicalBytes() {
        return canonical.clone();
    }

    /** A read-only view of the canonical encoding, without copying. */
    public ByteBuffer canonicalView() {
        return ByteBuffer.wrap(canonical).asReadOnlyBuffer();
    }

    /** The content ID: 0x12 0x20 | SHA-256(canonical bytes); computed once. */
    public ContentId contentId() {
        ContentId id = contentId;
        if (id == null) {
            id = ContentId.ofSha256(Sha256.hash(canonical, 0, canonical.length));
            contentId = id;
        }
        return id;
    }

    /** True if {@code data} is exactly piece {@code index}: right length and SHA-256. */
    public boolean verifyPiece(int index, byte[] data) {
        return verifyPiece(index, data, 0, data.length);
    }

    /** True if {@code data[offset, offset + length)} is exactly piece {@code index}. No copy is made. */
    public boolean verifyPiece(int index, byte[] data, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        // The length is checked before hashing, so a peer cannot make us hash more than one piece's worth.
        if (length != pieceLength(index)) {
            return false;
        }
        return matches(index, Sha256.hash(data, offset, length));
    }

    /** True if the remaining bytes of {@code data} are exactly piece {@code index}; the buffer's position is kept. */
    public boolean verifyPiece(int index, ByteBuffer data) {
        if (data.remaining() != pieceLength(index)) {
            return false;
        }
        return matches(index, Sha256.hash(data));
    }

    /** True if {@code sha256} is the recorded hash of piece {@code index}. */
    public boolean matches(int index, byte[] sha256) {
        Objects.checkIndex(index, pieceCount);
        int at = CANONICAL_HEADER_BYTES + index * HASH_BYTES;
        // Hashes are public, so a plain (not constant-time) comparison is fine; no copy.
        return sha256.length == HASH_BYTES && Arrays.equals(canonical, at, at + HASH_BYTES, sha256, 0, HASH_BYTES);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Manifest other && Arrays.equals(canonical, other.canonical);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(canonical);
    }

    @Override
    public String toString() {
        return "Manifest[" + sizeBytes + " bytes, " + pieceCount + " pieces]";
    }
}
