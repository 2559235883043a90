package dev.p2psuite.identity;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a node says about itself: its ID, public key, a sequence number (higher replaces lower; compared as an
 * unsigned 64-bit integer) and the candidates it can be reached at. Only meaningful inside a
 * {@link SignedPeerRecord}.
 *
 * <p>The constructor checks presence only, so that a record received from the wire can be built and then rejected by
 * {@link SignedPeerRecord#verify()} with a precise reason; sizes are checked there (and by {@link #of}).
 */
public record PeerRecord(NodeId nodeId, byte[] publicKey, long seq, List<Candidate> candidates) {

    /** Bounds the record (and so PEX messages and the canonical encoding) to a few KiB. */
    public static final int MAX_CANDIDATES = 16;

    /** Domain separation prefix of {@link #canonicalBytes()}. */
    public static final String CANONICAL_PREFIX = "p2p-peer-record-v1";

    public PeerRecord {
        Objects.requireNonNull(nodeId, "node ID");
        Objects.requireNonNull(publicKey, "public key");
        Objects.requireNonNull(candidates, "candidates");
        publicKey = publicKey.clone();
        candidates = List.copyOf(candidates);
    }

    /** The record of {@code key}'s node; rejects more than {@value #MAX_CANDIDATES} candidates. */
    public static PeerRecord of(NodeKey key, long seq, List<Candidate> candidates) {
        if (candidates.size() > MAX_CANDIDATES) {
            throw new IllegalArgumentException(
                    "a peer record holds at most " + MAX_CANDIDATES + " candidates, got " + candidates.size());
        }
        return new PeerRecord(key.nodeId(), key.publicKey(), seq, candidates);
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    /**
     * The exact bytes that are signed. Other implementations build them from the proto comment, so this must not
     * change (a new layout needs a new prefix):
     * <pre>
     * ASCII "p2p-peer-record-v1"
     * node_id            20 bytes
     * public_key         32 bytes
     * seq                uint64 big-endian
     * candidate count    uint16 big-endian
     * per candidate:
     *   kind             uint8 (1 host, 2 server-reflexive, 3 relayed)
     *   host length      uint16 big-endian, then the host in UTF-8
     *   port             uint16 big-endian
     *   has_relay        uint8 (0 or 1), then the relay node ID (20 bytes) if 1
     * </pre>
     *
     * @throws IllegalStateException if the record is malformed (public key not 32 bytes, too many candidates)
     */
    public byte[] canonicalBytes() {
        String problem = malformation();
        if (problem != null) {
            throw new IllegalStateException("cannot encode a malformed peer record: " + problem);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 + candidates.size() * 64);
        out.writeBytes(CANONICAL_PREFIX.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(nodeId.bytes());
        out.writeBytes(publicKey);
        writeLong(out, seq);
        writeShort(out, candidates.size());
        for (Candidate c : candidates) {
            out.write(c.kind().code());
            byte[] host = c.host().getBytes(StandardCharsets.UTF_8);
            writeShort(out, host.length);
            out.writeBytes(host);
            writeShort(out, c.port());
            if (c.relay() == null) {
                out.write(0);
            } else {
                out.write(1);
                out.writeBytes(c.relay().bytes());
            }
        }
        return out.toByteArray();
    }

    /** Why this record cannot be valid whatever its signature, or null if its shape is fine. */
    String malformation() {
        if (publicKey.length != NodeKey.PUBLIC_KEY_BYTES) {
            return "public key is " + publicKey.length + " bytes, expected " + NodeKey.PUBLIC_KEY_BYTES;
        }
        if (candidates.size() > MAX_CANDIDATES) {
            return candidates.size() + " candidates, at most " + MAX_CANDIDATES + " allowed";
        }
        return null;
    }

    private static void writeShort(ByteArrayOutputStream out, int v) {
        out.write(v >>> 8);
        out.write(v);
    }

    private static void writeLong(ByteArrayOutputStream out, long v) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (v >>> shift));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerRecord r && seq == r.seq && nodeId.equals(r.nodeId)
                && Arrays.equals(publicKey, r.publicKey) && candidates.equals(r.candidates);
    }

    @Override
    public int hashCode() {
        return Objects.hash(nodeId, Arrays.hashCode(publicKey), seq, candidates);
    }

    @Override
    public String toString() {
        return "PeerRecord[nodeId=" + nodeId.toHex() + ", seq=" + Long.toUnsignedString(seq)
                + ", candidates=" + candidates + "]";
    }
}
