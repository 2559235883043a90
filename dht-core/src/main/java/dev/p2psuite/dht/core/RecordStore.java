package dev.p2psuite.dht.core;

import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The values and provider records this node holds for others. Not thread-safe ({@link DhtNode} confines it).
 *
 * <p>Value rules, one record per key: a record is verified (size, publisher record, signature) and must be
 * unexpired before anything else; then, against the record held for the key,
 * <ul>
 *   <li>same publisher, higher seq: replaces it ({@code STORED});</li>
 *   <li>same publisher, equal or lower seq: {@code STALE} (a replay cannot roll a value back);</li>
 *   <li>another publisher while the held record is unexpired: {@code CONFLICT} (first come keeps the key until its
 *   record expires, so nobody can overwrite another publisher's value).</li>
 * </ul>
 * Expiry is the publisher's signed absolute time, clamped locally to now + max TTL (dht_peer.proto).
 *
 * <p>Providers: up to {@code maxProvidersPerKey} per key, each until its TTL passes; an announcement from a
 * provider already held refreshes it; a full key refuses newcomers (go-libp2p-kad-dht keeps k; DESIGN.md).
 */
public final class RecordStore {

    /** Limits; {@link #defaults()} has the protocol values. */
    public record Limits(int maxValueKeys, long maxValueBytesTotal, int maxProviderKeys, int maxProvidersPerKey,
                         Duration maxValueTtl, Duration maxProviderTtl) {
        public static Limits defaults() {
            return new Limits(Kademlia.MAX_VALUE_KEYS, Kademlia.MAX_VALUE_BYTES_TOTAL, Kademlia.MAX_PROVIDER_KEYS,
                    Kademlia.MAX_PROVIDERS_PER_KEY, Kademlia.MAX_VALUE_TTL, Kademlia.PROVIDER_TTL);
        }
    }

    /** What {@link #putValue} did; {@code heldSeq} is the seq held for the key afterwards (0 if none). */
    public record StoreResult(Kind kind, long heldSeq, String reason) {
        public enum Kind { STORED, STALE, CONFLICT, INVALID, FULL }

        public boolean accepted() {
            return kind == Kind.STORED;
        }
    }

    /** A held value: the record, when this node drops it, and when it was last stored or replaced here. */
    public record HeldValue(ValueRecord record, long expiresAtUnixMs, long lastStoredUnixMs) {
    }

    /** A held provider record. */
    public record HeldProvider(NodeId key, Contact provider, long expiresAtUnixMs) {
    }

    private static final class ValueSlot {
        ValueRecord record;
        long expiresAt;
        long lastStored;
    }

    private final InstantSource clock;
    private final Limits limits;
    private final Map<NodeId, ValueSlot> values = new HashMap<>();
    private final Map<NodeId, LinkedHashMap<NodeId, HeldProvider>> providers = new HashMap<>();
    private long valueBytes;
    private int providerRecords;

    public RecordStore(InstantSource clock, Limits limits) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    /** Verifies and stores {@code record} under the rules above. */
    public StoreResult putValue(ValueRecord record) {
        long now = clock.millis();
        try {
            record.verify();  // size bound, publisher record, signature: a replica must not keep a forgery
        } catch (InvalidRecordException e) {
            return new StoreResult(StoreResult.Kind.INVALID, heldSeq(record.key(), now), e.getMessage());
        }
        if (record.expiredAt(now)) {
            return new StoreResult(StoreResult.Kind.INVALID, heldSeq(record.key(), now),
                    "record under key " + record.key().toHex() + " expired at " + record.expiresAtUnixMs());
        }
        long expiresAt = Math.min(record.expiresAtUnixMs(), now + limits.maxValueTtl().toMillis());
        ValueSlot held = values.get(record.key());
        if (held != null && held.expiresAt <= now) {
            removeValue(record.key());
            held = null;
        }
        if (held != null) {
            NodeId heldBy = held.record.publisher().nodeId();
            if (!heldBy.equals(record.publisher().nodeId())) {
                return new StoreResult(StoreResult.Kind.CONFLICT, held.record.seq(), "key " + record.key().toHex()
                        + " holds a record of publisher " + heldBy.toHex() + " until it expires");
            }
            if (Long.compareUnsigned(record.seq(), held.record.seq()) <= 0) {
                // Not counted as a fresh store: a replication push to one node looks the same as a republish to all
                // k, so the paper's "skip the republish after a STORE" shortcut (section 2.5) would let pushes
                // starve republishing after churn.
                return new StoreResult(StoreResult.Kind.STALE, held.record.seq(), "held seq "
                        + Long.toUnsignedString(held.record.seq()) + " >= offered "
                        + Long.toUnsignedString(record.seq()));
            }
            if (valueBytes - held.record.valueLength() + record.valueLength() > limits.maxValueBytesTotal()) {
                return new StoreResult(StoreResult.Kind.FULL, held.record.seq(), "value store is full");
            }
            valueBytes += record.valueLength() - held.record.valueLength();
            held.record = record;
            held.expiresAt = expiresAt;
            held.lastStored = now;
            return new StoreResult(StoreResult.Kind.STORED, record.seq(), null);
        }
        if (values.size() >= limits.maxValueKeys()
                || valueBytes + record.valueLength() > limits.maxValueBytesTotal()) {
            expire();
            if (values.size() >= limits.maxValueKeys()
                    || valueBytes + record.valueLength() > limits.maxValueBytesTotal()) {
                return new StoreResult(StoreResult.Kind.FULL, 0, "value store is full (" + values.size() + " keys, "
                        + valueBytes + " bytes)");
            }
        }
        ValueSlot slot = new ValueSlot();
        slot.record = record;
        slot.expiresAt = expiresAt;
        slot.lastStored = now;
        values.put(record.key(), slot);
        valueBytes += record.valueLength();
        return new StoreResult(StoreResult.Kind.STORED, record.seq(), null);
    }

    private long heldSeq(NodeId key, long now) {
        ValueSlot held = values.get(key);
        return held == null || held.expiresAt <= now ? 0 : held.record.seq();
    }

    /** The unexpired record held for {@code key}. */
    public Optional<ValueRecord> getValue(NodeId key) {
        ValueSlot held = values.get(key);
        if (held == null) {
            return Optional.empty();
        }
        if (held.expiresAt <= clock.millis()) {
            removeValue(key);
            return Optional.empty();
        }
        return Optional.of(held.record);
    }

    public boolean removeValue(NodeId key) {
        ValueSlot held = values.remove(key);
        if (held != null) {
            valueBytes -= held.record.valueLength();
            return true;
        }
        return false;
    }

    /** Notes that {@code key} was just republished by this node (so it need not be again this interval). */
    public void markStored(NodeId key) {
        ValueSlot held = values.get(key);
        if (held != null) {
            held.lastStored = clock.millis();
        }
    }

    /** Unexpired values held. */
    public List<HeldValue> values() {
        long now = clock.millis();
        List<HeldValue> out = new ArrayList<>(values.size());
        for (ValueSlot s : values.values()) {
            if (s.expiresAt > now) {
                out.add(new HeldValue(s.record, s.expiresAt, s.lastStored));
            }
        }
        return out;
    }

    public int valueCount() {
        return values.size();
    }

    public long valueBytes() {
        return valueBytes;
    }

    /**
     * Holds {@code provider} for {@code key} until {@code ttl} from now (clamped to the max TTL); refreshes it if
     * held.
     *
     * @return false when the key already has the maximum number of providers (or the store is full)
     */
    public boolean addProvider(NodeId key, Contact provider, Duration ttl) {
        long now = clock.millis();
        long expiresAt = now + Math.min(ttl.toMillis(), limits.maxProviderTtl().toMillis());
        LinkedHashMap<NodeId, HeldProvider> held = providers.get(key);
        if (held == null) {
            if (providers.size() >= limits.maxProviderKeys()) {
                expire();
                if (providers.size() >= limits.maxProviderKeys()) {
                    return false;
                }
            }
            held = new LinkedHashMap<>();
            providers.put(key, held);
        }
        purgeExpired(held, now);
        HeldProvider current = held.get(provider.id());
        if (current != null) {
            Contact newest = Long.compareUnsigned(provider.record().seq(), current.provider().record().seq()) >= 0
                    ? provider : current.provider();
            held.put(provider.id(), new HeldProvider(key, newest, Math.max(expiresAt, current.expiresAtUnixMs())));
            return true;
        }
        if (held.size() >= limits.maxProvidersPerKey()) {
            return false;
        }
        held.put(provider.id(), new HeldProvider(key, provider, expiresAt));
        providerRecords++;
        return true;
    }

    private void purgeExpired(LinkedHashMap<NodeId, HeldProvider> held, long now) {
        Iterator<HeldProvider> it = held.values().iterator();
        while (it.hasNext()) {
            if (it.next().expiresAtUnixMs() <= now) {
                it.remove();
                providerRecords--;
            }
        }
    }

    /** Unexpired providers held for {@code key}, oldest announcement first. */
    public List<Contact> providers(NodeId key) {
        LinkedHashMap<NodeId, HeldProvider> held = providers.get(key);
        if (held == null) {
            return List.of();
        }
        purgeExpired(held, clock.millis());
        if (held.isEmpty()) {
            providers.remove(key);
            return List.of();
        }
        List<Contact> out = new ArrayList<>(held.size());
        for (HeldProvider p : held.values()) {
            out.add(p.provider());
        }
        return out;
    }

    /** Every unexpired provider record (snapshots). */
    public List<HeldProvider> providerRecords() {
        long now = clock.millis();
        List<HeldProvider> out = new ArrayList<>(providerRecords);
        for (LinkedHashMap<NodeId, HeldProvider> held : providers.values()) {
            for (HeldProvider p : held.values()) {
                if (p.expiresAtUnixMs() > now) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /** Puts back a provider record from a snapshot with its original expiry. */
    public boolean restoreProvider(NodeId key, Contact provider, long expiresAtUnixMs) {
        long ttl = expiresAtUnixMs - clock.millis();
        return ttl > 0 && addProvider(key, provider, Duration.ofMillis(ttl));
    }

    public int providerCount() {
        return providerRecords;
    }

    /** Drops expired values and providers; returns how many records went. */
    public int expire() {
        long now = clock.millis();
        int dropped = 0;
        Iterator<Map.Entry<NodeId, ValueSlot>> vs = values.entrySet().iterator();
        while (vs.hasNext()) {
            ValueSlot s = vs.next().getValue();
            if (s.expiresAt <= now) {
                valueBytes -= s.record.valueLength();
                vs.remove();
                dropped++;
            }
        }
        Iterator<LinkedHashMap<NodeId, HeldProvider>> ps = providers.values().iterator();
        while (ps.hasNext()) {
            LinkedHashMap<NodeId, HeldProvider> held = ps.next();
            int before = held.size();
            purgeExpired(held, now);
            dropped += before - held.size();
            if (held.isEmpty()) {
                ps.remove();
            }
        }
        return dropped;
    }
}
