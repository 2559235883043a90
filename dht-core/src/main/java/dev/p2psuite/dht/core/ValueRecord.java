package dev.p2psuite.dht.core;

import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A value stored under a DHT key, signed by its publisher so that replicas cannot alter the value, roll back
 * its sequence number or extend its expiry (the wire form is p2p.dht.v1.ValueRecord).
 *
 * <p>Signed bytes (BE = big-endian): ASCII "p2p-dht-value-v1" | key (20) | publisher node ID (20) | seq
 * (uint64 BE) | expires_at_unix_ms (int64 BE) | value length (uint32 BE) | value.
 */
public record ValueRecord(NodeId key, byte[] value, SignedPeerRecord publisher, long seq, long expiresAtUnixMs,
                          byte[] signature) {

    /** Largest value, in bytes (OpenDHT's bound). */
    public static final int MAX_VALUE_BYTES = 65_536;

    public static final String CANONICAL_PREFIX = "p2p-dht-value-v1";

    public ValueRecord {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(publisher, "publisher");
        value = Objects.requireNonNull(value, "value").clone();
        signature = Objects.requireNonNull(signature, "signature").clone();
    }

    /** Signs a value as {@code key}'s publisher. */
    public static ValueRecord sign(NodeKey publisherKey, SignedPeerRecord publisher, NodeId key, byte[] value, long seq,
                                   long expiresAtUnixMs) {
        if (value.length > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("value is " + value.length + " bytes; at most " + MAX_VALUE_BYTES);
        }
        byte[] signature = publisherKey.sign(canonicalBytes(key, publisher.nodeId(), seq, expiresAtUnixMs, value));
        return new ValueRecord(key, value, publisher, seq, expiresAtUnixMs, signature);
    }

    /**
     * Checks the size bound, the publisher's record and the signature; not expiry (that depends on the clock).
     *
     * @throws InvalidRecordException naming what is wrong
     */
    public void verify() throws InvalidRecordException {
        if (value.length > MAX_VALUE_BYTES) {
            throw new InvalidRecordException(InvalidRecordException.Reason.MALFORMED, publisher.nodeId(),
                    "value under key " + key.toHex() + " is " + value.length + " bytes; at most " + MAX_VALUE_BYTES);
        }
        publisher.verify();
        if (!NodeKey.verify(publisher.record().publicKey(),
                canonicalBytes(key, publisher.nodeId(), seq, expiresAtUnixMs, value), signature)) {
            throw new InvalidRecordException(InvalidRecordException.Reason.BAD_SIGNATURE, publisher.nodeId(),
                    "value under key " + key.toHex() + " is not signed by its publisher " + publisher.nodeId().toHex());
        }
    }

    public boolean expiredAt(long nowUnixMs) {
        return nowUnixMs >= expiresAtUnixMs;
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The value's length without copying it. */
    public int valueLength() {
        return value.length;
    }

    static byte[] canonicalBytes(NodeId key, NodeId publisher, long seq, long expiresAtUnixMs, byte[] value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(96 + value.length);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(CANONICAL_PREFIX.getBytes(StandardCharsets.US_ASCII));
            out.write(key.bytes());
            out.write(publisher.bytes());
            out.writeLong(seq);
            out.writeLong(expiresAtUnixMs);
            out.writeInt(value.length);
            out.write(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ValueRecord r && r.key.equals(key) && r.seq == seq && r.expiresAtUnixMs == expiresAtUnixMs
                && r.publisher.nodeId().equals(publisher.nodeId()) && Arrays.equals(r.value, value)
                && Arrays.equals(r.signature, signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, seq, publisher.nodeId());
    }

    @Override
    public String toString() {
        return "ValueRecord[key=" + key + ", publisher=" + publisher.nodeId() + ", seq=" + seq + ", "
                + value.length + " bytes]";
    }
}
