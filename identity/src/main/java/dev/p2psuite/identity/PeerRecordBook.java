package dev.p2psuite.identity;

import dev.p2psuite.identity.InvalidRecordException.Reason;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The newest verified record per node ID, bounded; thread-safe. Remembering the highest sequence number seen is what
 * defeats replay of an older, still correctly signed record (e.g. with addresses the node has since given up).
 * When full, the least recently updated entry is dropped.
 */
public final class PeerRecordBook {

    private final int maxSize;
    /** Insertion-ordered; an update re-inserts, so the head is the least recently updated entry. */
    private final LinkedHashMap<NodeId, SignedPeerRecord> records = new LinkedHashMap<>();

    public PeerRecordBook(int maxSize) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("max size must be at least 1, got " + maxSize);
        }
        this.maxSize = maxSize;
    }

    /**
     * Verifies {@code record} and keeps it unless an equal-or-newer one is held. Sequence numbers compare as
     * unsigned 64-bit integers (they are uint64 on the wire).
     *
     * @return the record now held for that node ({@code record}, or the identical one already held)
     * @throws InvalidRecordException if it fails {@link SignedPeerRecord#verify()}, is older than the one held, or
     *                                has the same sequence number but different content (STALE_SEQUENCE)
     */
    public SignedPeerRecord accept(SignedPeerRecord record) throws InvalidRecordException {
        Objects.requireNonNull(record, "record");
        synchronized (records) {
            // The same record again (as every lookup response repeats the contacts it carries) was verified when
            // first held: skip the signature check, which costs more than the rest of a lookup step.
            SignedPeerRecord held = records.get(record.nodeId());
            if (record.equals(held)) {
                return held;
            }
        }
        // Verify outside the lock: signature checks are the expensive part.
        record.verify();
        NodeId id = record.nodeId();
        synchronized (records) {
            SignedPeerRecord held = records.get(id);
            if (held != null) {
                int cmp = Long.compareUnsigned(record.seq(), held.seq());
                if (cmp < 0) {
                    throw new InvalidRecordException(Reason.STALE_SEQUENCE, id,
                            "peer record of node " + id.toHex() + " has seq " + Long.toUnsignedString(record.seq())
                                    + ", older than seq " + Long.toUnsignedString(held.seq())
                                    + " already seen: a replay of an outdated record; the node must publish a newer one");
                }
                if (cmp == 0) {
                    if (held.record().equals(record.record())) {
                        return held;
                    }
                    throw new InvalidRecordException(Reason.STALE_SEQUENCE, id,
                            "conflicting record with the same sequence number " + Long.toUnsignedString(record.seq())
                                    + " for node " + id.toHex()
                                    + ": the node must increase seq whenever its record changes");
                }
                records.remove(id);
            }
            records.put(id, record);
            evictOverflow();
            return record;
        }
    }

    public Optional<SignedPeerRecord> get(NodeId nodeId) {
        synchronized (records) {
            return Optional.ofNullable(records.get(nodeId));
        }
    }

    /** Forgets a node, e.g. after it left; a later record with any sequence number is then accepted. */
    public Optional<SignedPeerRecord> remove(NodeId nodeId) {
        synchronized (records) {
            return Optional.ofNullable(records.remove(nodeId));
        }
    }

    public int size() {
        synchronized (records) {
            return records.size();
        }
    }

    public int maxSize() {
        return maxSize;
    }

    private void evictOverflow() {
        Iterator<Map.Entry<NodeId, SignedPeerRecord>> it = records.entrySet().iterator();
        while (records.size() > maxSize && it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}
