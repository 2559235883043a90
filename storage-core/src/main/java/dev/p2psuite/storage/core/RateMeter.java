package dev.p2psuite.storage.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * Bytes per second over a sliding window, kept in fixed time buckets (constant memory per peer). Not thread-safe; the
 * owner synchronizes.
 */
final class RateMeter {

    /** Bucket width: a rechoke every 10 s needs no finer resolution than 1 s. */
    static final Duration BUCKET = Duration.ofSeconds(1);

    private final long bucketMillis = BUCKET.toMillis();
    private final long windowMillis;
    private final long[] bytes;
    private final long[] bucketIds;

    RateMeter(Duration window) {
        this.windowMillis = window.toMillis();
        int buckets = (int) Math.max(1, windowMillis / bucketMillis);
        this.bytes = new long[buckets];
        this.bucketIds = new long[buckets];
        Arrays.fill(bucketIds, Long.MIN_VALUE);
    }

    void add(long n, Instant now) {
        long id = Math.floorDiv(now.toEpochMilli(), bucketMillis);
        int slot = (int) Math.floorMod(id, (long) bytes.length);
        if (bucketIds[slot] != id) {
            bucketIds[slot] = id;
            bytes[slot] = 0;
        }
        bytes[slot] += n;
    }

    /** Average bytes per second over the window ending now (the window is always counted in full). */
    long ratePerSecond(Instant now) {
        long current = Math.floorDiv(now.toEpochMilli(), bucketMillis);
        long sum = 0;
        for (int i = 0; i < bytes.length; i++) {
            long id = bucketIds[i];
            if (id <= current && id > current - bytes.length) {
                sum += bytes[i];
            }
        }
        return sum * 1000 / (bytes.length * bucketMillis);
    }
}
