package dev.p2psuite.identity;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * An immutable 160-bit Kademlia node ID. Ordering ({@link #compareTo}) is unsigned big-endian, i.e. the order of
 * the IDs read as 160-bit unsigned integers; distance is XOR as in the Kademlia paper.
 */
public final class NodeId implements Comparable<NodeId> {

    public static final int LENGTH_BYTES = 20;
    public static final int LENGTH_BITS = LENGTH_BYTES * 8;

    private static final HexFormat HEX = HexFormat.of();
    /** Hex characters shown by {@link #toString()}: 48 bits are plenty to tell nodes apart in logs. */
    private static final int SHORT_HEX_CHARS = 12;

    private final byte[] bytes;

    private NodeId(byte[] ownedBytes) {
        this.bytes = ownedBytes;
    }

    /** Copies {@code bytes}; they must be exactly {@value #LENGTH_BYTES} long. */
    public static NodeId of(byte[] bytes) {
        Objects.requireNonNull(bytes, "node ID bytes");
        if (bytes.length != LENGTH_BYTES) {
            throw new IllegalArgumentException("node ID must be " + LENGTH_BYTES + " bytes, got " + bytes.length);
        }
        return new NodeId(bytes.clone());
    }

    /**
     * The ID of the node owning {@code ed25519PublicKey}: SHA-1 of the raw 32-byte key. Deriving the ID from the key
     * means nobody can claim an ID (and so a place in the keyspace, or someone else's identity) without holding the
     * matching private key; peer records are checked against this (see {@link SignedPeerRecord#verify()}).
     */
    public static NodeId fromPublicKey(byte[] ed25519PublicKey) {
        Objects.requireNonNull(ed25519PublicKey, "public key");
        if (ed25519PublicKey.length != NodeKey.PUBLIC_KEY_BYTES) {
            throw new IllegalArgumentException(
                    "Ed25519 public key must be " + NodeKey.PUBLIC_KEY_BYTES + " bytes, got " + ed25519PublicKey.length);
        }
        return new NodeId(sha1(ed25519PublicKey));
    }

    /** Parses 40 hex characters (either case). */
    public static NodeId fromHex(String hex) {
        Objects.requireNonNull(hex, "node ID hex");
        if (hex.length() != LENGTH_BYTES * 2) {
            throw new IllegalArgumentException(
                    "node ID must be " + LENGTH_BYTES * 2 + " hex characters, got " + hex.length());
        }
        for (int i = 0; i < hex.length(); i++) {
            if (Character.digit(hex.charAt(i), 16) < 0) {
                throw new IllegalArgumentException(
                        "node ID contains a non-hex character '" + hex.charAt(i) + "' at index " + i);
            }
        }
        return new NodeId(HEX.parseHex(hex));
    }

    /** A uniformly random ID, e.g. a lookup target when refreshing the routing table. */
    public static NodeId random(RandomGenerator random) {
        byte[] b = new byte[LENGTH_BYTES];
        random.nextBytes(b);
        return new NodeId(b);
    }

    /**
     * A random ID whose common prefix with {@code base} is exactly {@code prefixLength} bits (0..159): a random
     * target inside the k-bucket for that prefix length, as bucket refresh needs.
     */
    public static NodeId randomWithCommonPrefix(NodeId base, int prefixLength, RandomGenerator random) {
        if (prefixLength < 0 || prefixLength >= LENGTH_BITS) {
            throw new IllegalArgumentException("prefix length must be 0.." + (LENGTH_BITS - 1) + ", got " + prefixLength);
        }
        byte[] b = new byte[LENGTH_BYTES];
        random.nextBytes(b);
        for (int bit = 0; bit <= prefixLength; bit++) {
            int mask = 0x80 >>> (bit & 7);
            boolean baseBit = (base.bytes[bit >>> 3] & mask) != 0;
            // Copy the prefix, then flip the first bit after it so the shared prefix is exact.
            boolean want = bit < prefixLength ? baseBit : !baseBit;
            b[bit >>> 3] = (byte) (want ? b[bit >>> 3] | mask : b[bit >>> 3] & ~mask);
        }
        return new NodeId(b);
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** Lowercase, 40 characters. */
    public String toHex() {
        return HEX.formatHex(bytes);
    }

    /** Bit {@code index} counted from the most significant bit (0..159). */
    public boolean bit(int index) {
        Objects.checkIndex(index, LENGTH_BITS);
        return (bytes[index >>> 3] & (0x80 >>> (index & 7))) != 0;
    }

    /** XOR distance to {@code other}. */
    public NodeId xor(NodeId other) {
        byte[] out = new byte[LENGTH_BYTES];
        for (int i = 0; i < LENGTH_BYTES; i++) {
            out[i] = (byte) (bytes[i] ^ other.bytes[i]);
        }
        return new NodeId(out);
    }

    /** Number of leading bits shared with {@code other}: 160 for equal IDs, else the k-bucket index. */
    public int commonPrefixLength(NodeId other) {
        for (int i = 0; i < LENGTH_BYTES; i++) {
            int x = (bytes[i] ^ other.bytes[i]) & 0xff;
            if (x != 0) {
                return i * 8 + Integer.numberOfLeadingZeros(x) - 24;
            }
        }
        return LENGTH_BITS;
    }

    /** Orders IDs by XOR distance to {@code target}, closest first (without allocating per comparison). */
    public static Comparator<NodeId> byDistanceTo(NodeId target) {
        Objects.requireNonNull(target, "target");
        byte[] t = target.bytes;
        return (a, b) -> {
            for (int i = 0; i < LENGTH_BYTES; i++) {
                int da = (a.bytes[i] ^ t[i]) & 0xff;
                int db = (b.bytes[i] ^ t[i]) & 0xff;
                if (da != db) {
                    return Integer.compare(da, db);
                }
            }
            return 0;
        };
    }

    @Override
    public int compareTo(NodeId other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NodeId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** A short hex prefix for logs; use {@link #toHex()} for the full ID. */
    @Override
    public String toString() {
        return toHex().substring(0, SHORT_HEX_CHARS);
    }

    static byte[] sha1(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is mandatory in every Java runtime", e);
        }
    }
}
