package dev.p2psuite.dht.core;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.SignedPeerRecord;
import java.util.Objects;

/**
 * A node as the DHT knows it: its ID, the address to dial, and the signed record both came from (passed on
 * unchanged in responses so that receivers can verify it). The core trusts contacts it is given: adapters
 * verify records before they reach it.
 */
public record Contact(NodeId id, Endpoint endpoint, SignedPeerRecord record) {

    public Contact {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(record, "record");
    }

    /**
     * The contact a signed record describes, dialled at its first candidate (records list the preferred
     * address first).
     *
     * @throws IllegalArgumentException if the record has no candidate address
     */
    public static Contact of(SignedPeerRecord record) {
        if (record.record().candidates().isEmpty()) {
            throw new IllegalArgumentException("peer record of " + record.nodeId().toHex() + " has no address");
        }
        Candidate first = record.record().candidates().get(0);
        return new Contact(record.nodeId(), new Endpoint(first.host(), first.port()), record);
    }

    /** Contacts are the same node when their IDs are equal, whatever record version they carry. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Contact c && c.id.equals(id);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return id + "@" + endpoint;
    }
}
