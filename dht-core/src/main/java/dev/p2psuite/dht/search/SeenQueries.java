package dev.p2psuite.dht.search;

import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Query IDs seen recently, for duplicate suppression (Gnutella 0.6: a servent drops a message whose GUID it has
 * already seen). Remembered for {@code memory} (10 min), at most {@code capacity} of them: past that the oldest are
 * forgotten first, which bounds memory under a flood at the price of answering a very old duplicate again.
 * Thread-safe.
 */
public final class SeenQueries {

    /** IDs remembered at most: 10 minutes of queries at about 160 a second. */
    public static final int DEFAULT_CAPACITY = 100_000;

    private record Id(long hi, long lo) {
    }

    private final long memoryMs;
    private final int capacity;
    /** Insertion order = first-seen order, so expiry and overflow both remove from the head. */
    private final LinkedHashMap<Id, Long> seen = new LinkedHashMap<>();

    public SeenQueries(Duration memory, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.memoryMs = memory.toMillis();
        this.capacity = capacity;
    }

    /** True the first time {@code queryId} is offered within the memory; it is then remembered. */
    public synchronized boolean firstSighting(byte[] queryId, long nowMs) {
        expire(nowMs);
        Id id = id(queryId);
        if (seen.containsKey(id)) {
            return false;
        }
        seen.put(id, nowMs);
        if (seen.size() > capacity) {
            Iterator<Id> oldest = seen.keySet().iterator();
            oldest.next();
            oldest.remove();
        }
        return true;
    }

    public synchronized int size() {
        return seen.size();
    }

    private void expire(long nowMs) {
        Iterator<Map.Entry<Id, Long>> it = seen.entrySet().iterator();
        while (it.hasNext()) {
            if (nowMs - it.next().getValue() < memoryMs) {
                return;
            }
            it.remove();
        }
    }

    private static Id id(byte[] b) {
        if (b.length != SearchLimits.QUERY_ID_BYTES) {
            throw new IllegalArgumentException("query ID must be 16 bytes, got " + b.length);
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xffL);
            lo = (lo << 8) | (b[i + 8] & 0xffL);
        }
        return new Id(hi, lo);
    }
}
