package dev.p2psuite.identity;

import dev.p2psuite.identity.InvalidRecordException.Reason;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * A {@link PeerRecord} with the owner's Ed25519 signature over its {@link PeerRecord#canonicalBytes()}. Records are
 * self-certifying (the ID is the hash of the key that signs), so they can be relayed by anyone, e.g. in PEX, without
 * being forgeable.
 */
public record SignedPeerRecord(PeerRecord record, byte[] signature) {

    public SignedPeerRecord {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(signature, "signature");
        signature = signature.clone();
    }

    /** Builds and signs the record of {@code key}'s node. */
    public static SignedPeerRecord sign(NodeKey key, long seq, List<Candidate> candidates) {
        PeerRecord record = PeerRecord.of(key, seq, candidates);
        return new SignedPeerRecord(record, key.sign(record.canonicalBytes()));
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    public NodeId nodeId() {
        return record.nodeId();
    }

    public long seq() {
        return record.seq();
    }

    /**
     * Checks shape, that the ID is SHA-1 of the public key, and the signature. Says nothing about freshness: that
     * needs memory of earlier records ({@link PeerRecordBook#accept}).
     */
    public void verify() throws InvalidRecordException {
        NodeId id = record.nodeId();
        String problem = record.malformation();
        if (problem == null && signature.length != NodeKey.SIGNATURE_BYTES) {
            problem = "signature is " + signature.length + " bytes, expected " + NodeKey.SIGNATURE_BYTES;
        }
        if (problem != null) {
            throw new InvalidRecordException(Reason.MALFORMED, id,
                    "peer record of node " + id.toHex() + " is malformed: " + problem
                            + "; the sender does not speak p2p-peer-record-v1 correctly");
        }
        byte[] publicKey = record.publicKey();
        NodeId derived = NodeId.fromPublicKey(publicKey);
        if (!derived.equals(id)) {
            throw new InvalidRecordException(Reason.ID_KEY_MISMATCH, id,
                    "peer record claims node ID " + id.toHex() + " but its public key "
                            + HexFormat.of().formatHex(publicKey) + " belongs to node " + derived.toHex()
                            + " (ID = SHA-1 of the key); the sender is impersonating " + id.toHex());
        }
        if (!NodeKey.verify(publicKey, record.canonicalBytes(), signature)) {
            throw new InvalidRecordException(Reason.BAD_SIGNATURE, id,
                    "peer record of node " + id.toHex() + " (seq " + Long.toUnsignedString(record.seq())
                            + ") has a signature that does not verify with its public key: it was forged or altered"
                            + " after signing; discard it and get a fresh record from the node");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignedPeerRecord s && record.equals(s.record) && Arrays.equals(signature, s.signature);
    }

    @Override
    public int hashCode() {
        return 31 * record.hashCode() + Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "SignedPeerRecord[" + record + "]";
    }
}
