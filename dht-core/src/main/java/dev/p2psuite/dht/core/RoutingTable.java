package dev.p2psuite.dht.core;

import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * Kademlia k-buckets (Maymounkov and Mazieres 2002, section 2.2): bucket {@code i} holds up to k contacts whose IDs
 * share exactly {@code i} leading bits with this node's, least-recently seen first. Not thread-safe: the owner
 * ({@link DhtNode}) confines it to its serial executor.
 *
 * <p>The eviction rule is the paper's: a full bucket never drops a live contact for a newcomer; the newcomer waits
 * in the bucket's replacement cache (section 4.1) while the least-recently-seen contact is pinged, and takes its
 * place only if the ping fails. As in BEP 5, a contact heard from within {@link Config#questionableAfter()} is
 * "good" and not pinged at all: the newcomer just waits in the cache.
 */
public final class RoutingTable {

    /** Table parameters; {@link #defaults()} has the protocol values. */
    public record Config(int k, int maxPerIpGroup, boolean diversityExemptsPrivate, int failuresBeforeEviction,
                         Duration questionableAfter, int replacementCacheSize) {

        public Config {
            if (k < 1) {
                throw new IllegalArgumentException("k must be at least 1, got " + k);
            }
            if (maxPerIpGroup < 0) {
                throw new IllegalArgumentException("maxPerIpGroup must be >= 0 (0 = no limit), got " + maxPerIpGroup);
            }
            if (failuresBeforeEviction < 1) {
                throw new IllegalArgumentException(
                        "failuresBeforeEviction must be >= 1, got " + failuresBeforeEviction);
            }
            if (replacementCacheSize < 0) {
                throw new IllegalArgumentException("replacementCacheSize must be >= 0, got " + replacementCacheSize);
            }
            Objects.requireNonNull(questionableAfter, "questionableAfter");
        }

        public static Config defaults() {
            return new Config(Kademlia.K, Kademlia.MAX_PER_IP_GROUP, true, DEFAULT_FAILURES_BEFORE_EVICTION,
                    Kademlia.QUESTIONABLE_AFTER, Kademlia.REPLACEMENT_CACHE_SIZE);
        }
    }

    /**
     * Consecutive failed RPCs before a contact is dropped: two. One lost packet or one slow answer should not cost a
     * contact the paper prefers to keep (old contacts are likelier to stay, section 2.2), and a lookup already routes
     * around a peer that failed once; BEP 5 likewise drops a node only after it fails "multiple queries in a row".
     * A failed ping of the oldest contact of a full bucket evicts at once: that ping is the liveness check.
     */
    public static final int DEFAULT_FAILURES_BEFORE_EVICTION = 2;

    /** A ping of a bucket's oldest contact that has not been answered within this is forgotten. */
    private static final long PENDING_PING_STALE_MS = 60_000;

    /** What {@link #observe} did with a contact. */
    public enum Outcome {
        /** Already in its bucket: moved to the tail, last-seen updated. */
        REFRESHED,
        /** Inserted at the tail of its bucket. */
        ADDED,
        /** Bucket full and its oldest contact is good or already being pinged: the newcomer waits in the cache. */
        CACHED,
        /** Bucket full: ping {@link Observation#oldest()}, then call {@link #pingResult}; the newcomer is cached. */
        PING_OLDEST,
        /** Not taken; {@link Observation#reason()} says why. */
        REJECTED
    }

    /** Why a contact was rejected. */
    public enum Rejection {
        SELF, IP_LIMIT
    }

    public record Observation(Outcome outcome, Contact oldest, Rejection reason, String detail) {
        static final Observation REFRESHED = new Observation(Outcome.REFRESHED, null, null, null);
        static final Observation ADDED = new Observation(Outcome.ADDED, null, null, null);
        static final Observation CACHED = new Observation(Outcome.CACHED, null, null, null);
    }

    /** A contact as the table holds it. */
    public record Entry(Contact contact, long lastSeenUnixMs, int failures) {
    }

    /** One bucket, for the internal API and tests. */
    public record BucketSnapshot(int index, List<Entry> contacts, int replacementCount, List<Contact> replacements,
                                 long lastTouchedUnixMs) {
    }

    /** The ID's first 64 bits: most comparisons are settled by them without touching the ID's bytes. */
    static long prefix(NodeId id) {
        byte[] b = id.bytes();
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[i] & 0xffL);
        }
        return v;
    }

    /**
     * One k-bucket, stored as parallel arrays. The least-recently-seen order is kept by the last-seen times (ties:
     * array position) rather than by moving entries, so that refreshing a contact, the commonest operation, is one
     * store; the oldest contact is found by a scan of at most k longs. The replacement cache is most recently seen
     * first. Lookups by ID and {@link #closest} read a few contiguous cache lines instead of one object per contact,
     * and a contact costs about 40 bytes: it matters when a simulator holds 100,000 tables.
     */
    private static final class Bucket {
        final int capacity;
        final int replacementCapacity;
        int size;
        Contact[] contacts = new Contact[0];
        NodeId[] ids = new NodeId[0];
        long[] prefixes = new long[0];
        long[] lastSeen = new long[0];
        int[] failures = new int[0];
        long[] groupV4 = new long[0];
        String[] groupKey = new String[0];

        int replSize;
        Contact[] repl = new Contact[0];
        NodeId[] replIds = new NodeId[0];
        long[] replPrefixes = new long[0];

        long lastTouched;
        Contact pendingPing;
        long pendingSince;

        Bucket(int capacity, int replacementCapacity, long createdAt) {
            this.capacity = capacity;
            this.replacementCapacity = replacementCapacity;
            this.lastTouched = createdAt;
        }

        int indexOf(NodeId id) {
            return find(id, ids, prefixes, size);
        }

        int replacementIndex(NodeId id) {
            return find(id, replIds, replPrefixes, replSize);
        }

        private static int find(NodeId id, NodeId[] ids, long[] prefixes, int n) {
            for (int i = 0; i < n; i++) {
                if (ids[i] == id) {
                    return i;
                }
            }
            if (n == 0) {
                return -1;
            }
            long p = prefix(id);
            for (int i = 0; i < n; i++) {
                if (prefixes[i] == p && ids[i].equals(id)) {
                    return i;
                }
            }
            return -1;
        }

        void append(Contact c, long seen, IpGroup group) {
            if (size == contacts.length) {
                int n = Math.min(capacity, Math.max(4, size * 2));
                contacts = java.util.Arrays.copyOf(contacts, n);
                ids = java.util.Arrays.copyOf(ids, n);
                prefixes = java.util.Arrays.copyOf(prefixes, n);
                lastSeen = java.util.Arrays.copyOf(lastSeen, n);
                failures = java.util.Arrays.copyOf(failures, n);
                groupV4 = java.util.Arrays.copyOf(groupV4, n);
                groupKey = java.util.Arrays.copyOf(groupKey, n);
            }
            contacts[size] = c;
            ids[size] = c.id();
            prefixes[size] = prefix(c.id());
            lastSeen[size] = seen;
            failures[size] = 0;
            groupV4[size] = group.ipv4Prefix();
            groupKey[size] = group.key();
            size++;
        }

        /** Removes entry {@code at}; the last entry takes its place (order lives in the last-seen times). */
        void removeAt(int at) {
            int last = size - 1;
            if (at != last) {
                contacts[at] = contacts[last];
                ids[at] = ids[last];
                prefixes[at] = prefixes[last];
                lastSeen[at] = lastSeen[last];
                failures[at] = failures[last];
                groupV4[at] = groupV4[last];
                groupKey[at] = groupKey[last];
            }
            contacts[last] = null;
            ids[last] = null;
            groupKey[last] = null;
            size = last;
        }

        /** Entry {@code at} was heard from: it becomes the most recently seen. */
        void seen(int at, long now) {
            lastSeen[at] = now;
            failures[at] = 0;
        }

        /** The least recently seen entry (the eviction candidate), or -1 if empty. */
        int oldest() {
            int best = -1;
            for (int i = 0; i < size; i++) {
                if (best < 0 || lastSeen[i] < lastSeen[best]) {
                    best = i;
                }
            }
            return best;
        }

        /** Entry positions least recently seen first. */
        int[] order() {
            Integer[] idx = new Integer[size];
            for (int i = 0; i < size; i++) {
                idx[i] = i;
            }
            java.util.Arrays.sort(idx, (a, b) -> {
                int c = Long.compare(lastSeen[a], lastSeen[b]);
                return c != 0 ? c : Integer.compare(a, b);
            });
            int[] out = new int[size];
            for (int i = 0; i < size; i++) {
                out[i] = idx[i];
            }
            return out;
        }

        int countGroup(IpGroup group) {
            int same = 0;
            long v4 = group.ipv4Prefix();
            String key = group.key();
            for (int i = 0; i < size; i++) {
                if (groupV4[i] == v4 && (key == null ? groupKey[i] == null : key.equals(groupKey[i]))) {
                    same++;
                }
            }
            return same;
        }

        /** Puts {@code c} at the front of the replacement cache (dropping its older entry, or the oldest one). */
        void cache(Contact c) {
            if (replacementCapacity == 0) {
                return;
            }
            int r = replacementIndex(c.id());
            if (r >= 0) {
                removeReplacement(r);
            } else if (replSize >= replacementCapacity) {
                removeReplacement(replSize - 1);
            }
            if (replSize == repl.length) {
                int n = Math.min(replacementCapacity, Math.max(4, replSize * 2));
                repl = java.util.Arrays.copyOf(repl, n);
                replIds = java.util.Arrays.copyOf(replIds, n);
                replPrefixes = java.util.Arrays.copyOf(replPrefixes, n);
            }
            System.arraycopy(repl, 0, repl, 1, replSize);
            System.arraycopy(replIds, 0, replIds, 1, replSize);
            System.arraycopy(replPrefixes, 0, replPrefixes, 1, replSize);
            repl[0] = c;
            replIds[0] = c.id();
            replPrefixes[0] = prefix(c.id());
            replSize++;
        }

        Contact removeReplacement(int at) {
            Contact c = repl[at];
            int tail = replSize - at - 1;
            if (tail > 0) {
                System.arraycopy(repl, at + 1, repl, at, tail);
                System.arraycopy(replIds, at + 1, replIds, at, tail);
                System.arraycopy(replPrefixes, at + 1, replPrefixes, at, tail);
            }
            replSize--;
            repl[replSize] = null;
            replIds[replSize] = null;
            return c;
        }
    }

    private final NodeId self;
    private final Config config;
    private final InstantSource clock;
    private final Bucket[] buckets = new Bucket[Kademlia.BUCKETS];
    private final long createdAt;
    private volatile int size;
    private Consumer<Contact> insertListener = c -> { };

    public RoutingTable(NodeId self, Config config, InstantSource clock) {
        this.self = Objects.requireNonNull(self, "self");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.createdAt = clock.millis();
    }

    public NodeId self() {
        return self;
    }

    public Config config() {
        return config;
    }

    /** Called with every contact that enters a bucket (added, promoted from a cache); not on refresh. */
    public void onInsert(Consumer<Contact> listener) {
        this.insertListener = Objects.requireNonNull(listener, "listener");
    }

    /** Bucket index of {@code id}: the length of the prefix it shares with this node's ID. */
    public int bucketIndexOf(NodeId id) {
        int cpl = self.commonPrefixLength(id);
        if (cpl >= Kademlia.BUCKETS) {
            throw new IllegalArgumentException("the table's own ID has no bucket");
        }
        return cpl;
    }

    private Bucket bucket(int index, boolean create) {
        Bucket b = buckets[index];
        if (b == null && create) {
            b = new Bucket(config.k, config.replacementCacheSize, createdAt);
            buckets[index] = b;
        }
        return b;
    }

    /**
     * Records that {@code contact} was heard from (an inbound RPC or a response): Kademlia updates the sender's
     * bucket on every message (section 2.2).
     */
    public Observation observe(Contact contact) {
        NodeId id = contact.id();
        int cpl = self.commonPrefixLength(id);
        if (cpl >= Kademlia.BUCKETS) {
            return new Observation(Outcome.REJECTED, null, Rejection.SELF, "a node never holds itself");
        }
        long now = clock.millis();
        Bucket b = bucket(cpl, true);
        int at = b.indexOf(id);
        if (at >= 0) {
            Contact held = b.contacts[at];
            if (held != contact && Long.compareUnsigned(contact.record().seq(), held.record().seq()) > 0) {
                b.contacts[at] = contact;  // a newer signed record: the node's addresses may have changed
            }
            b.seen(at, now);
            b.lastTouched = now;  // BEP 5: a bucket whose node answered counts as changed
            return Observation.REFRESHED;
        }
        if (b.size < config.k) {
            IpGroup group = IpGroup.of(contact.endpoint());
            if (overIpLimit(b, group)) {
                return new Observation(Outcome.REJECTED, null, Rejection.IP_LIMIT, "bucket " + cpl + " already holds "
                        + config.maxPerIpGroup + " contacts from " + group.describe() + " (eclipse protection)");
            }
            int r = b.replacementIndex(id);
            if (r >= 0) {
                b.removeReplacement(r);
            }
            b.append(contact, now, group);
            b.lastTouched = now;
            size++;
            insertListener.accept(contact);
            return Observation.ADDED;
        }
        // Full: the newcomer waits in the cache; the IP limit is applied if it is ever promoted.
        b.cache(contact);
        if (b.pendingPing != null && now - b.pendingSince < PENDING_PING_STALE_MS) {
            return Observation.CACHED;
        }
        int oldest = b.oldest();
        if (now - b.lastSeen[oldest] < config.questionableAfter.toMillis()) {
            return Observation.CACHED;  // BEP 5: all good nodes stay; the newcomer waits in the cache
        }
        b.pendingPing = b.contacts[oldest];
        b.pendingSince = now;
        return new Observation(Outcome.PING_OLDEST, b.contacts[oldest], null, null);
    }

    private boolean overIpLimit(Bucket b, IpGroup group) {
        if (config.maxPerIpGroup == 0 || (group.exempt() && config.diversityExemptsPrivate)) {
            return false;
        }
        return b.countGroup(group) >= config.maxPerIpGroup;
    }

    /**
     * The answer to a {@link Outcome#PING_OLDEST} ping: alive, the oldest contact moves to the tail and the newcomer
     * stays cached; dead, it is evicted and the most recently seen cached contact takes its place (section 2.2).
     */
    public void pingResult(Contact oldest, boolean alive) {
        int cpl = self.commonPrefixLength(oldest.id());
        if (cpl >= Kademlia.BUCKETS) {
            return;
        }
        Bucket b = bucket(cpl, false);
        if (b == null) {
            return;
        }
        if (b.pendingPing != null && b.pendingPing.id().equals(oldest.id())) {
            b.pendingPing = null;
        }
        int at = b.indexOf(oldest.id());
        if (alive) {
            if (at >= 0) {
                long now = clock.millis();
                b.seen(at, now);
                b.lastTouched = now;
            }
            return;
        }
        if (at >= 0) {
            b.removeAt(at);
            size--;
        }
        promote(b);
    }

    /**
     * An RPC to {@code id} failed (timeout, error, bogus answer). After {@link Config#failuresBeforeEviction()} in a
     * row the contact is dropped and the bucket refilled from its replacement cache.
     *
     * @return whether the contact was evicted
     */
    public boolean failed(NodeId id) {
        Bucket b = bucketWithoutReplacement(id);  // a cached contact that does not answer is no replacement
        if (b == null) {
            return false;
        }
        int at = b.indexOf(id);
        if (at < 0) {
            return false;
        }
        if (++b.failures[at] < config.failuresBeforeEviction) {
            return false;
        }
        b.removeAt(at);
        size--;
        if (b.pendingPing != null && b.pendingPing.id().equals(id)) {
            b.pendingPing = null;
        }
        promote(b);
        return true;
    }

    /** The bucket {@code id} falls in, after dropping {@code id} from its replacement cache; null if none exists. */
    private Bucket bucketWithoutReplacement(NodeId id) {
        int cpl = self.commonPrefixLength(id);
        if (cpl >= Kademlia.BUCKETS) {
            return null;
        }
        Bucket b = bucket(cpl, false);
        if (b != null) {
            int r = b.replacementIndex(id);
            if (r >= 0) {
                b.removeReplacement(r);
            }
        }
        return b;
    }

    /** Moves the most recently seen cached contact that passes the IP limit into the bucket, if there is room. */
    private void promote(Bucket b) {
        while (b.size < config.k && b.replSize > 0) {
            int pick = -1;
            IpGroup group = null;
            for (int i = 0; i < b.replSize; i++) {
                IpGroup g = IpGroup.of(b.repl[i].endpoint());
                if (!overIpLimit(b, g)) {
                    pick = i;
                    group = g;
                    break;
                }
            }
            if (pick < 0) {
                return;
            }
            Contact next = b.removeReplacement(pick);
            // Not heard from since it was cached: last-seen 0 makes it the first to be pinged.
            b.append(next, 0, group);
            size++;
            insertListener.accept(next);
        }
    }

    /** Removes a contact outright (e.g. it proved to be someone else); true if it was held. */
    public boolean remove(NodeId id) {
        Bucket b = bucketWithoutReplacement(id);
        if (b == null) {
            return false;
        }
        int at = b.indexOf(id);
        if (at < 0) {
            return false;
        }
        b.removeAt(at);
        size--;
        promote(b);
        return true;
    }

    /**
     * Puts back a contact from a saved snapshot without the ping rule: used on restart, before any traffic. A full
     * bucket caches it instead. Returns whether it entered the bucket.
     */
    public boolean restore(Contact contact, long lastSeenUnixMs) {
        int cpl = self.commonPrefixLength(contact.id());
        if (cpl >= Kademlia.BUCKETS) {
            return false;
        }
        Bucket b = bucket(cpl, true);
        if (b.indexOf(contact.id()) >= 0) {
            return false;
        }
        IpGroup group = IpGroup.of(contact.endpoint());
        if (overIpLimit(b, group)) {
            return false;
        }
        if (b.size >= config.k) {
            b.cache(contact);
            return false;
        }
        b.append(contact, lastSeenUnixMs, group);
        size++;
        return true;
    }

    /** Whether {@link #observe} would insert {@code contact} now (room in its bucket and within the IP limit). */
    public boolean wouldAdd(Contact contact) {
        int cpl = self.commonPrefixLength(contact.id());
        if (cpl >= Kademlia.BUCKETS) {
            return false;
        }
        Bucket b = bucket(cpl, false);
        if (b == null) {
            return true;
        }
        return b.size < config.k && b.indexOf(contact.id()) < 0 && !overIpLimit(b, IpGroup.of(contact.endpoint()));
    }

    public boolean contains(NodeId id) {
        return get(id).isPresent();
    }

    public Optional<Contact> get(NodeId id) {
        int cpl = self.commonPrefixLength(id);
        if (cpl >= Kademlia.BUCKETS) {
            return Optional.empty();
        }
        Bucket b = bucket(cpl, false);
        if (b == null) {
            return Optional.empty();
        }
        int at = b.indexOf(id);
        return at < 0 ? Optional.empty() : Optional.of(b.contacts[at]);
    }

    /** Contacts held (replacement caches excluded). Safe to read from any thread. */
    public int size() {
        return size;
    }

    /** The number of non-empty buckets. */
    public int bucketsUsed() {
        int used = 0;
        for (Bucket b : buckets) {
            if (b != null && b.size > 0) {
                used++;
            }
        }
        return used;
    }

    /** Contacts in bucket {@code index}. */
    public int bucketSize(int index) {
        Bucket b = buckets[index];
        return b == null ? 0 : b.size;
    }

    /** The highest non-empty bucket index (the closest neighbours' bucket), or -1 if the table is empty. */
    public int deepestNonEmptyBucket() {
        for (int i = Kademlia.BUCKETS - 1; i >= 0; i--) {
            if (buckets[i] != null && buckets[i].size > 0) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The {@code n} contacts closest to {@code target} by XOR distance, closest first, never {@code exclude} (may be
     * null). Only the buckets that can hold them are read: with {@code i} the prefix {@code target} shares with this
     * node, bucket {@code i} is closest, then buckets above {@code i} (all at the same distance prefix), then
     * {@code i-1} down to 0.
     */
    public List<Contact> closest(NodeId target, int n, NodeId exclude) {
        if (n <= 0 || size == 0) {
            return List.of();
        }
        int i = Math.min(self.commonPrefixLength(target), Kademlia.BUCKETS - 1);
        Gather g = new Gather(target, exclude, n + Kademlia.K);
        g.add(buckets[i]);
        if (g.size < n) {
            // Buckets deeper than i all share exactly i bits with the target: together they come next. Each group is
            // wholly closer than the next, so collecting whole groups until n are held and sorting is exact.
            for (int j = i + 1; j < Kademlia.BUCKETS; j++) {
                g.add(buckets[j]);
            }
            for (int j = i - 1; j >= 0 && g.size < n; j--) {
                g.add(buckets[j]);
            }
        }
        return g.sortedFirst(n);
    }

    public List<Contact> closest(NodeId target, int n) {
        return closest(target, n, null);
    }

    /** Contacts gathered for {@link #closest}, keyed by the XOR of their 64-bit prefix with the target's. */
    private static final class Gather {
        final NodeId target;
        final long t;
        final NodeId exclude;
        final long excludePrefix;
        long[] keys;
        Contact[] contacts;
        int size;

        Gather(NodeId target, NodeId exclude, int capacity) {
            this.target = target;
            this.t = prefix(target);
            this.exclude = exclude;
            this.excludePrefix = exclude == null ? 0 : prefix(exclude);
            keys = new long[capacity];
            contacts = new Contact[capacity];
        }

        void add(Bucket b) {
            if (b == null) {
                return;
            }
            for (int i = 0; i < b.size; i++) {
                long p = b.prefixes[i];
                if (exclude != null && p == excludePrefix && b.ids[i].equals(exclude)) {
                    continue;
                }
                if (size == keys.length) {
                    keys = java.util.Arrays.copyOf(keys, size * 2);
                    contacts = java.util.Arrays.copyOf(contacts, size * 2);
                }
                keys[size] = p ^ t;
                contacts[size] = b.contacts[i];
                size++;
            }
        }

        List<Contact> sortedFirst(int n) {
            // Insertion sort: a few dozen entries, already grouped by bucket.
            Comparator<NodeId> full = null;
            for (int i = 1; i < size; i++) {
                long k = keys[i];
                Contact c = contacts[i];
                int j = i - 1;
                while (j >= 0) {
                    int cmp = Long.compareUnsigned(keys[j], k);
                    if (cmp == 0) {
                        if (full == null) {
                            full = NodeId.byDistanceTo(target);
                        }
                        cmp = full.compare(contacts[j].id(), c.id());
                    }
                    if (cmp <= 0) {
                        break;
                    }
                    keys[j + 1] = keys[j];
                    contacts[j + 1] = contacts[j];
                    j--;
                }
                keys[j + 1] = k;
                contacts[j + 1] = c;
            }
            int m = Math.min(n, size);
            List<Contact> out = new ArrayList<>(m);
            for (int i = 0; i < m; i++) {
                out.add(contacts[i]);
            }
            return out;
        }
    }

    /** Every contact with its last-seen time (snapshots, tests). */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>(size);
        for (Bucket b : buckets) {
            if (b != null) {
                for (int i : b.order()) {
                    out.add(new Entry(b.contacts[i], b.lastSeen[i], b.failures[i]));
                }
            }
        }
        return out;
    }

    /**
     * Up to {@code max} contacts heard from within {@code window}, taken from each bucket in turn so that they spread
     * over the keyspace: what PEX may share (BEP 11 shares only peers known to be alive).
     */
    public List<Contact> recentlySeen(Duration window, int max) {
        long since = clock.millis() - window.toMillis();
        List<Contact> out = new ArrayList<>(Math.min(max, size));
        int deepest = deepestNonEmptyBucket();
        for (int depth = 0; out.size() < max; depth++) {
            boolean more = false;
            for (int i = 0; i <= deepest && out.size() < max; i++) {
                Bucket b = buckets[i];
                if (b == null || b.size <= depth) {
                    continue;
                }
                more = true;
                if (b.lastSeen[depth] >= since) {
                    out.add(b.contacts[depth]);
                }
            }
            if (!more) {
                break;
            }
        }
        return out;
    }

    /** A uniformly chosen contact, or empty. */
    public Optional<Contact> randomContact(RandomGenerator random) {
        if (size == 0) {
            return Optional.empty();
        }
        int pick = random.nextInt(size);
        for (Bucket b : buckets) {
            if (b != null) {
                if (pick < b.size) {
                    return Optional.of(b.contacts[pick]);
                }
                pick -= b.size;
            }
        }
        return Optional.empty();
    }

    /** Snapshot of the non-empty buckets (and buckets with cached contacts), by ascending index. */
    public List<BucketSnapshot> snapshot(boolean includeReplacements) {
        List<BucketSnapshot> out = new ArrayList<>();
        for (int i = 0; i < Kademlia.BUCKETS; i++) {
            Bucket b = buckets[i];
            if (b == null || (b.size == 0 && b.replSize == 0)) {
                continue;
            }
            List<Entry> entries = new ArrayList<>(b.size);
            for (int j : b.order()) {
                entries.add(new Entry(b.contacts[j], b.lastSeen[j], b.failures[j]));
            }
            out.add(new BucketSnapshot(i, Collections.unmodifiableList(entries), b.replSize,
                    includeReplacements ? List.of(java.util.Arrays.copyOf(b.repl, b.replSize)) : List.of(),
                    b.lastTouched));
        }
        return out;
    }

    /**
     * Buckets not touched for {@code interval}, from bucket 0 up to the deepest non-empty one (deeper buckets are
     * empty because no such nodes exist; looking them up finds the same closest neighbours). BEP 5: refresh a
     * bucket unchanged for 15 minutes.
     */
    public List<Integer> bucketsToRefresh(Duration interval) {
        int deepest = deepestNonEmptyBucket();
        long cutoff = clock.millis() - interval.toMillis();
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i <= deepest; i++) {
            Bucket b = buckets[i];
            long touched = b == null ? createdAt : b.lastTouched;
            if (touched <= cutoff) {
                out.add(i);
            }
        }
        return out;
    }

    /** Marks bucket {@code index} as fresh (a lookup in its range ran, go-libp2p-kbucket style). */
    public void touch(int index) {
        bucket(index, true).lastTouched = clock.millis();
    }

    /** Marks the bucket of {@code target}'s range as fresh: a completed lookup of it refreshed that bucket. */
    public void touchBucketOf(NodeId target) {
        int cpl = self.commonPrefixLength(target);
        if (cpl < Kademlia.BUCKETS) {
            touch(cpl);
        }
    }

    /** A random ID in bucket {@code index}'s range, the target of its refresh lookup (section 2.3). */
    public NodeId randomIdInBucket(int index, RandomGenerator random) {
        return NodeId.randomWithCommonPrefix(self, index, random);
    }
}
