package dev.p2psuite.storage.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * Which pieces of a content are held: one bit per piece, mutable, not thread-safe. The wire form
 * ({@link #toBytes()}, {@link #fromBytes}) is the BEP 3 bitfield: ceil(n / 8) bytes, the high bit of byte 0 is piece 0,
 * spare bits at the end are 0. In memory the bits live in {@code long} words so the piece picker can combine
 * bitfields a word at a time.
 */
public final class Bitfield {

    private final int pieceCount;
    /** Piece i is bit (i mod 64) of words[i / 64]; bits past pieceCount are always 0. */
    private final long[] words;
    private int cardinality;

    /** An empty bitfield (no piece held). */
    public Bitfield(int pieceCount) {
        if (pieceCount < 0) {
            throw new IllegalArgumentException("piece count must be >= 0, got " + pieceCount);
        }
        this.pieceCount = pieceCount;
        this.words = new long[(pieceCount + 63) >>> 6];
    }

    /** A bitfield with every piece set (a seeder's). */
    public static Bitfield full(int pieceCount) {
        Bitfield b = new Bitfield(pieceCount);
        Arrays.fill(b.words, -1L);
        if ((pieceCount & 63) != 0) {
            b.words[b.words.length - 1] = (1L << (pieceCount & 63)) - 1;
        }
        b.cardinality = pieceCount;
        return b;
    }

    /** Wire length of a bitfield for {@code pieceCount} pieces: ceil(n / 8) bytes (BEP 3). */
    public static int byteLength(int pieceCount) {
        return (pieceCount + 7) >>> 3;
    }

    /**
     * Decodes a BEP 3 bitfield received for a content of {@code pieceCount} pieces.
     *
     * @throws IllegalArgumentException if the length is not ceil(n / 8) or a spare bit is set
     */
    public static Bitfield fromBytes(int pieceCount, byte[] bytes) {
        Objects.requireNonNull(bytes, "bitfield bytes");
        Bitfield b = new Bitfield(pieceCount);
        int expected = byteLength(pieceCount);
        if (bytes.length != expected) {
            throw new IllegalArgumentException("bitfield for " + pieceCount + " pieces must be " + expected
                    + " bytes (BEP 3: ceil(pieces / 8)), got " + bytes.length);
        }
        int spare = expected * 8 - pieceCount;
        // BEP 3: "spare bits at the end are set to zero"; a peer sending otherwise is broken or probing.
        if (spare > 0 && (bytes[expected - 1] & ((1 << spare) - 1)) != 0) {
            throw new IllegalArgumentException("bitfield has spare bits set after piece " + (pieceCount - 1)
                    + " (BEP 3: spare bits must be 0)");
        }
        for (int j = 0; j < expected; j++) {
            long v = Integer.reverse(bytes[j] & 0xff) >>> 24;
            b.words[j >>> 3] |= v << ((j & 7) * 8);
        }
        b.recount();
        return b;
    }

    /** The BEP 3 wire form (high bit of byte 0 = piece 0, spare bits 0). */
    public byte[] toBytes() {
        byte[] out = new byte[byteLength(pieceCount)];
        for (int j = 0; j < out.length; j++) {
            int v = (int) (words[j >>> 3] >>> ((j & 7) * 8)) & 0xff;
            out[j] = (byte) (Integer.reverse(v) >>> 24);
        }
        return out;
    }

    public int pieceCount() {
        return pieceCount;
    }

    public boolean get(int index) {
        Objects.checkIndex(index, pieceCount);
        return (words[index >>> 6] & (1L << index)) != 0;
    }

    /** Sets piece {@code index}; returns true if it was not set before. */
    public boolean set(int index) {
        Objects.checkIndex(index, pieceCount);
        long mask = 1L << index;
        long w = words[index >>> 6];
        if ((w & mask) != 0) {
            return false;
        }
        words[index >>> 6] = w | mask;
        cardinality++;
        return true;
    }

    /** Clears piece {@code index}; returns true if it was set before. */
    public boolean clear(int index) {
        Objects.checkIndex(index, pieceCount);
        long mask = 1L << index;
        long w = words[index >>> 6];
        if ((w & mask) == 0) {
            return false;
        }
        words[index >>> 6] = w & ~mask;
        cardinality--;
        return true;
    }

    /** Number of pieces set. */
    public int cardinality() {
        return cardinality;
    }

    /** True if every piece is set (true for a content without pieces). */
    public boolean isComplete() {
        return cardinality == pieceCount;
    }

    public boolean isEmpty() {
        return cardinality == 0;
    }

    /** The first set piece at or after {@code from}, or -1. */
    public int nextSetBit(int from) {
        if (from < 0) {
            throw new IndexOutOfBoundsException("from < 0: " + from);
        }
        if (from >= pieceCount) {
            return -1;
        }
        int wi = from >>> 6;
        long w = words[wi] & (-1L << from);
        while (true) {
            if (w != 0) {
                return wi * 64 + Long.numberOfTrailingZeros(w);
            }
            if (++wi == words.length) {
                return -1;
            }
            w = words[wi];
        }
    }

    /** The first clear piece at or after {@code from}, or -1 if none. */
    public int nextClearBit(int from) {
        if (from < 0) {
            throw new IndexOutOfBoundsException("from < 0: " + from);
        }
        if (from >= pieceCount) {
            return -1;
        }
        int wi = from >>> 6;
        long w = ~words[wi] & (-1L << from);
        while (true) {
            if (w != 0) {
                int i = wi * 64 + Long.numberOfTrailingZeros(w);
                return i < pieceCount ? i : -1;
            }
            if (++wi == words.length) {
                return -1;
            }
            w = ~words[wi];
        }
    }

    /** The set pieces in ascending order. */
    public int[] toIndexes() {
        int[] out = new int[cardinality];
        int n = 0;
        for (int i = nextSetBit(0); i >= 0; i = nextSetBit(i + 1)) {
            out[n++] = i;
        }
        return out;
    }

    public Bitfield copy() {
        Bitfield b = new Bitfield(pieceCount);
        System.arraycopy(words, 0, b.words, 0, words.length);
        b.cardinality = cardinality;
        return b;
    }

    /** The backing words (piece i = bit i mod 64 of word i / 64); for word-at-a-time set algebra in this package. */
    long[] words() {
        return words;
    }

    private void recount() {
        int c = 0;
        for (long w : words) {
            c += Long.bitCount(w);
        }
        cardinality = c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bitfield other && pieceCount == other.pieceCount && Arrays.equals(words, other.words);
    }

    @Override
    public int hashCode() {
        return 31 * pieceCount + Arrays.hashCode(words);
    }

    @Override
    public String toString() {
        return "Bitfield[" + cardinality + "/" + pieceCount + "]";
    }
}
