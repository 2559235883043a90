package dev.p2psuite.dht;

import com.google.protobuf.ByteString;
import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.ValueRecord;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.PeerRecordBook;
import dev.p2psuite.identity.SignedPeerRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps the DHT's wire messages (dht_peer.proto) to the core's types. Every peer record that arrives is
 * verified here, at the boundary, so the core only ever sees contacts whose signatures hold; value records
 * are verified by the core itself where it accepts them.
 */
final class DhtWire {

    private DhtWire() {
    }

    /**
     * A contact from a signed record, verified and checked for freshness against {@code book} (a replayed
     * older record yields the newer one already known).
     *
     * @throws IllegalArgumentException if malformed
     * @throws InvalidRecordException if forged, mismatched or stale
     */
    static Contact contact(dev.p2psuite.proto.common.v1.SignedPeerRecord proto, String field, PeerRecordBook book)
            throws InvalidRecordException {
        SignedPeerRecord record = PeerRecords.fromProto(proto, field);
        try {
            return Contact.of(book.accept(record));
        } catch (InvalidRecordException e) {
            if (e.reason() == InvalidRecordException.Reason.STALE_SEQUENCE) {
                SignedPeerRecord newer = book.get(record.nodeId()).orElseThrow(() -> e);
                return Contact.of(newer);
            }
            throw e;
        }
    }

    /** The valid contacts among {@code protos}; forged or malformed ones are dropped one by one. */
    static List<Contact> contacts(List<dev.p2psuite.proto.common.v1.SignedPeerRecord> protos, String field,
                                  PeerRecordBook book) {
        List<Contact> contacts = new ArrayList<>(protos.size());
        for (int i = 0; i < protos.size(); i++) {
            try {
                contacts.add(contact(protos.get(i), field + "[" + i + "]", book));
            } catch (InvalidRecordException | IllegalArgumentException e) {
                // a lying peer's entry; the rest of its answer may still be useful
            }
        }
        return contacts;
    }

    static List<dev.p2psuite.proto.common.v1.SignedPeerRecord> toProto(List<Contact> contacts) {
        List<dev.p2psuite.proto.common.v1.SignedPeerRecord> out = new ArrayList<>(contacts.size());
        for (Contact c : contacts) {
            out.add(PeerRecords.toProto(c.record()));
        }
        return out;
    }

    static dev.p2psuite.proto.dht.v1.ValueRecord toProto(ValueRecord r) {
        return dev.p2psuite.proto.dht.v1.ValueRecord.newBuilder()
                .setKey(ByteString.copyFrom(r.key().bytes()))
                .setValue(ByteString.copyFrom(r.value()))
                .setPublisher(PeerRecords.toProto(r.publisher()))
                .setSeq(r.seq())
                .setExpiresAtUnixMs(r.expiresAtUnixMs())
                .setSignature(ByteString.copyFrom(r.signature()))
                .build();
    }

    /**
     * A value record from the wire, checked for shape only: the core verifies signatures where it accepts a
     * value (RecordStore on store, the lookup on find_value), once — Ed25519 checks dominate a lookup's cost.
     *
     * @throws IllegalArgumentException if malformed (the message names the field)
     */
    static ValueRecord fromProto(dev.p2psuite.proto.dht.v1.ValueRecord proto, String field) {
        NodeId key = PeerRecords.nodeId(proto.getKey(), field + ".key");
        if (proto.getValue().size() > ValueRecord.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException(field + ".value is " + proto.getValue().size() + " bytes; at most "
                    + ValueRecord.MAX_VALUE_BYTES);
        }
        if (!proto.hasPublisher()) {
            throw new IllegalArgumentException(field + ".publisher is missing");
        }
        return new ValueRecord(key, proto.getValue().toByteArray(),
                PeerRecords.fromProto(proto.getPublisher(), field + ".publisher"), proto.getSeq(),
                proto.getExpiresAtUnixMs(), proto.getSignature().toByteArray());
    }
}
