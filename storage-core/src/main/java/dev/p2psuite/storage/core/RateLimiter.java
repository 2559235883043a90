package dev.p2psuite.storage.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A token bucket for a per-node upload or download limit, with time passed in. Tokens (bytes) refill at
 * {@link #bytesPerSecond()} up to {@link #burstBytes()}. A request larger than the burst is admitted once the bucket
 * is full and leaves it in debt, so whole pieces pass even under a burst smaller than a piece, and the long-run rate
 * still holds. A rate of {@link #UNLIMITED} admits everything. Thread-safe.
 */
public final class RateLimiter {

    /** Rate meaning "no limit". */
    public static final long UNLIMITED = 0;
    /**
     * Default burst: one second of the rate, but at least one piece, so a single piece is never split by the limiter
     * and the instantaneous rate stays close to the configured one.
     */
    public static final Duration DEFAULT_BURST = Duration.ofSeconds(1);

    private static final double NANOS_PER_SECOND = 1e9;

    private final long bytesPerSecond;
    private final long burstBytes;
    private double tokens;
    private Instant last;

    /**
     * @param bytesPerSecond the limit, or {@link #UNLIMITED}
     * @param burstBytes     bucket size (> 0 when limited); the bucket starts full
     */
    public RateLimiter(long bytesPerSecond, long burstBytes, Instant now) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("rate must be >= 0 bytes/s (0 = unlimited), got " + bytesPerSecond);
        }
        if (bytesPerSecond > 0 && burstBytes <= 0) {
            throw new IllegalArgumentException("burst must be > 0 bytes, got " + burstBytes);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.burstBytes = burstBytes;
        this.tokens = burstBytes;
        this.last = Objects.requireNonNull(now, "now");
    }

    /** A limiter with the {@link #DEFAULT_BURST}. */
    public static RateLimiter perSecond(long bytesPerSecond, Instant now) {
        long burst = Math.max(Manifest.PIECE_SIZE, bytesPerSecond * DEFAULT_BURST.toSeconds());
        return new RateLimiter(bytesPerSecond, bytesPerSecond == UNLIMITED ? 0 : burst, now);
    }

    public static RateLimiter unlimited(Instant now) {
        return new RateLimiter(UNLIMITED, 0, now);
    }

    /** Takes {@code bytes} if the bucket allows it now; false (and nothing taken) otherwise. */
    public synchronized boolean tryAcquire(long bytes, Instant now) {
        checkBytes(bytes);
        if (bytesPerSecond == UNLIMITED) {
            return true;
        }
        refill(now);
        if (tokens < Math.min(bytes, burstBytes)) {
            return false;
        }
        tokens -= bytes;
        return true;
    }

    /** How long until {@link #tryAcquire}{@code (bytes)} would succeed; zero if it would now. Takes nothing. */
    public synchronized Duration delayFor(long bytes, Instant now) {
        checkBytes(bytes);
        if (bytesPerSecond == UNLIMITED) {
            return Duration.ZERO;
        }
        refill(now);
        double missing = Math.min(bytes, burstBytes) - tokens;
        if (missing <= 0) {
            return Duration.ZERO;
        }
        return Duration.ofNanos((long) Math.ceil(missing * NANOS_PER_SECOND / bytesPerSecond));
    }

    /**
     * Takes {@code bytes} now, going into debt if needed, and returns how long the caller should wait before sending
     * them (for a sender that paces a stream instead of polling).
     */
    public synchronized Duration reserve(long bytes, Instant now) {
        checkBytes(bytes);
        if (bytesPerSecond == UNLIMITED) {
            return Duration.ZERO;
        }
        Duration wait = delayFor(bytes, now);
        tokens -= bytes;
        return wait;
    }

    /**
     * Gives back bytes taken by {@link #reserve} or {@link #tryAcquire} that never moved (a request answered "choked"
     * or "not held", withdrawn or failed), up to a full bucket: a limit counts bytes transferred, not bytes asked for.
     */
    public synchronized void refund(long bytes, Instant now) {
        checkBytes(bytes);
        if (bytesPerSecond == UNLIMITED) {
            return;
        }
        refill(now);
        tokens = Math.min(burstBytes, tokens + bytes);
    }

    /** Whole bytes available now (negative while in debt). */
    public synchronized long available(Instant now) {
        if (bytesPerSecond == UNLIMITED) {
            return Long.MAX_VALUE;
        }
        refill(now);
        return (long) Math.floor(tokens);
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    public long burstBytes() {
        return burstBytes;
    }

    public boolean isUnlimited() {
        return bytesPerSecond == UNLIMITED;
    }

    private void refill(Instant now) {
        Objects.requireNonNull(now, "now");
        if (!now.isAfter(last)) {
            return; // a clock going backwards must not mint tokens
        }
        long nanos = Duration.between(last, now).toNanos();
        tokens = Math.min(burstBytes, tokens + nanos * (double) bytesPerSecond / NANOS_PER_SECOND);
        last = now;
    }

    private static void checkBytes(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
        }
    }
}
