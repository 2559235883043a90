package dev.p2psuite.dht.search;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One token bucket per key (per neighbour, per caller), at most {@code maxKeys} kept: the least recently used is
 * forgotten first (an idle bucket is full again, so forgetting it changes nothing). Thread-safe.
 */
public final class KeyedRateLimiter<K> {

    private final double ratePerSecond;
    private final double burst;
    private final int maxKeys;
    private final LinkedHashMap<K, TokenBucket> buckets = new LinkedHashMap<>(64, 0.75f, true);

    public KeyedRateLimiter(double ratePerSecond, double burst, int maxKeys) {
        new TokenBucket(ratePerSecond, burst, 0); // validates
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
        this.maxKeys = maxKeys;
    }

    public synchronized boolean tryTake(K key, long nowMs) {
        return bucket(key, nowMs).tryTake(nowMs);
    }

    public synchronized boolean available(K key, long nowMs) {
        return bucket(key, nowMs).available(nowMs);
    }

    private TokenBucket bucket(K key, long nowMs) {
        TokenBucket b = buckets.get(key);
        if (b == null) {
            b = new TokenBucket(ratePerSecond, burst, nowMs);
            buckets.put(key, b);
            if (buckets.size() > maxKeys) {
                Iterator<Map.Entry<K, TokenBucket>> it = buckets.entrySet().iterator();
                it.next();
                it.remove();
            }
        }
        return b;
    }

    public synchronized int keys() {
        return buckets.size();
    }
}
