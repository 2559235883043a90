package dev.p2psuite.storage.core;

import dev.p2psuite.identity.NodeId;
import java.util.Arrays;
import java.util.Objects;

/**
 * A content ID: a self-describing multihash (multiformats) of 34 bytes = {@code 0x12} (sha2-256) | {@code 0x20}
 * (32-byte digest) | SHA-256 of the manifest's canonical encoding ({@link Manifest#canonicalBytes()}). The ID alone
 * verifies the manifest, which verifies every piece. String form: multibase {@code 'b'} + lowercase RFC 4648 base32
 * of the 34 bytes without padding (56 characters). Immutable; ordered by unsigned bytes (a stable listing order).
 */
public final class ContentId implements Comparable<ContentId> {

    /** Multihash code of sha2-256 (multiformats multicodec table). */
    public static final int MULTIHASH_SHA2_256 = 0x12;
    /** Digest length byte of a sha2-256 multihash. */
    public static final int SHA2_256_DIGEST_BYTES = 32;
    /** Code byte + length byte + digest. */
    public static final int LENGTH_BYTES = 2 + SHA2_256_DIGEST_BYTES;
    /** Multibase prefix of lowercase RFC 4648 base32 without padding. */
    public static final char MULTIBASE_BASE32 = 'b';
    /** Base32 characters for 34 bytes: ceil(272 / 5). */
    public static final int BASE32_CHARS = (LENGTH_BYTES * 8 + 4) / 5;
    /** Length of {@link #toString()}: prefix + base32. */
    public static final int STRING_LENGTH = 1 + BASE32_CHARS;

    private static final char[] BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final int[] BASE32_VALUES = new int[128];

    static {
        Arrays.fill(BASE32_VALUES, -1);
        for (int i = 0; i < BASE32_ALPHABET.length; i++) {
            BASE32_VALUES[BASE32_ALPHABET[i]] = i;
        }
    }

    private final byte[] bytes;
    private final int hash;

    private ContentId(byte[] ownedBytes) {
        this.bytes = ownedBytes;
        this.hash = Arrays.hashCode(ownedBytes);
    }

    /** Copies and validates the 34 multihash bytes. */
    public static ContentId of(byte[] multihash) {
        Objects.requireNonNull(multihash, "content ID bytes");
        return new ContentId(validated(multihash.clone()));
    }

    /** The ID of a SHA-256 digest of a canonical manifest (32 bytes). */
    public static ContentId ofSha256(byte[] digest) {
        Objects.requireNonNull(digest, "digest");
        if (digest.length != SHA2_256_DIGEST_BYTES) {
            throw new IllegalArgumentException(
                    "SHA-256 digest must be " + SHA2_256_DIGEST_BYTES + " bytes, got " + digest.length);
        }
        byte[] b = new byte[LENGTH_BYTES];
        b[0] = (byte) MULTIHASH_SHA2_256;
        b[1] = (byte) SHA2_256_DIGEST_BYTES;
        System.arraycopy(digest, 0, b, 2, SHA2_256_DIGEST_BYTES);
        return new ContentId(b);
    }

    /**
     * Parses the string form ({@code "b"} + 55 lowercase base32 characters). Every rejection names what is wrong
     * and what a valid ID looks like.
     */
    public static ContentId parse(String text) {
        Objects.requireNonNull(text, "content ID");
        if (text.isEmpty()) {
            throw new IllegalArgumentException("content ID is empty; expected 'b' followed by "
                    + BASE32_CHARS + " base32 characters");
        }
        char prefix = text.charAt(0);
        if (prefix != MULTIBASE_BASE32) {
            String hint = prefix == 'B'
                    ? " (uppercase base32 is not accepted; write the ID in lowercase)"
                    : prefix == 'z' || prefix == 'Q'
                            ? " (this looks like a base58 ID of another system; p2p-suite IDs are base32)"
                            : "";
            throw new IllegalArgumentException("content ID must start with 'b' (multibase base32), got '"
                    + printable(prefix) + "'" + hint);
        }
        int n = text.length() - 1;
        for (int i = 1; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 128 || BASE32_VALUES[c] < 0) {
                throw new IllegalArgumentException("content ID has an invalid base32 character '" + printable(c)
                        + "' at position " + i + "; only a-z and 2-7 are allowed (lowercase, no padding '=')");
            }
        }
        // Lengths 1, 3 and 6 mod 8 cannot come from whole bytes (RFC 4648 section 6).
        int rem = n % 8;
        if (n == 0 || rem == 1 || rem == 3 || rem == 6) {
            throw new IllegalArgumentException("content ID has " + n + " base32 characters after 'b', expected "
                    + BASE32_CHARS + " (the ID is probably truncated or has extra characters)");
        }
        byte[] decoded = new byte[n * 5 / 8];
        long buffer = 0;
        int bits = 0;
        int out = 0;
        for (int i = 1; i < text.length(); i++) {
            buffer = (buffer << 5) | BASE32_VALUES[text.charAt(i)];
            bits += 5;
            if (bits >= 8) {
                bits -= 8;
                decoded[out++] = (byte) (buffer >>> bits);
            }
        }
        validated(decoded);
        // The spare low bits of the last character must be zero, so each ID has exactly one string form.
        if ((buffer & ((1L << bits) - 1)) != 0) {
            throw new IllegalArgumentException("content ID is not canonical base32: the last character '"
                    + text.charAt(text.length() - 1) + "' has non-zero spare bits (the ID was altered)");
        }
        return new ContentId(decoded);
    }

    private static byte[] validated(byte[] b) {
        if (b.length == 0) {
            throw new IllegalArgumentException("content ID is empty; expected " + LENGTH_BYTES + " bytes");
        }
        // Multihash (multiformats): <varint hash code><varint digest length><digest>; only sha2-256 is defined.
        int code = b[0] & 0xff;
        if (code != MULTIHASH_SHA2_256) {
            throw new IllegalArgumentException(String.format(
                    "content ID uses unknown multihash code 0x%02x; only 0x12 (sha2-256) is supported", code));
        }
        if (b.length < 2 || (b[1] & 0xff) != SHA2_256_DIGEST_BYTES) {
            throw new IllegalArgumentException("content ID has a wrong digest length "
                    + (b.length < 2 ? "(missing)" : String.valueOf(b[1] & 0xff))
                    + "; sha2-256 digests are " + SHA2_256_DIGEST_BYTES + " bytes");
        }
        if (b.length != LENGTH_BYTES) {
            throw new IllegalArgumentException("content ID must be " + LENGTH_BYTES + " bytes, got " + b.length
                    + (b.length < LENGTH_BYTES ? " (truncated)" : " (extra bytes after the digest)"));
        }
        return b;
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
    }

    /** A copy of the 34 multihash bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** A copy of the 32-byte SHA-256 digest of the canonical manifest. */
    public byte[] digest() {
        return Arrays.copyOfRange(bytes, 2, LENGTH_BYTES);
    }

    /** True if {@code digest} (32 bytes) is this ID's digest. */
    boolean matchesDigest(byte[] digest) {
        return Arrays.equals(bytes, 2, LENGTH_BYTES, digest, 0, digest.length);
    }

    /** The DHT key (provider records) of this content: SHA-1 of the 34 ID bytes, a point in the 160-bit keyspace. */
    public NodeId dhtKey() {
        return NodeId.of(Sha256.sha1(bytes));
    }

    /** Multibase: {@code 'b'} + lowercase RFC 4648 base32 of the 34 bytes without padding. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(STRING_LENGTH).append(MULTIBASE_BASE32);
        long buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                bits -= 5;
                sb.append(BASE32_ALPHABET[(int) (buffer >>> bits) & 31]);
            }
        }
        if (bits > 0) {
            sb.append(BASE32_ALPHABET[(int) (buffer << (5 - bits)) & 31]);
        }
        return sb.toString();
    }

    @Override
    public int compareTo(ContentId other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContentId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
