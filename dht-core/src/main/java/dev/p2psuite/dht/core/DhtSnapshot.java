package dev.p2psuite.dht.core;

import dev.p2psuite.identity.NodeId;
import java.util.List;

/**
 * What a node keeps across restarts: its contacts (with last-seen), the values it holds for others, the provider
 * records it holds, its own publications and the keys it provides. Plain data; the service serializes it.
 * Restored values are verified again, so a tampered file cannot plant forged records.
 */
public record DhtSnapshot(long takenAtUnixMs, List<SavedContact> contacts, List<ValueRecord> values,
                          List<SavedProvider> providers, List<ValueRecord> published, List<NodeId> providing) {

    public DhtSnapshot {
        contacts = List.copyOf(contacts);
        values = List.copyOf(values);
        providers = List.copyOf(providers);
        published = List.copyOf(published);
        providing = List.copyOf(providing);
    }

    public record SavedContact(Contact contact, long lastSeenUnixMs) {
    }

    public record SavedProvider(NodeId key, Contact provider, long expiresAtUnixMs) {
    }
}
