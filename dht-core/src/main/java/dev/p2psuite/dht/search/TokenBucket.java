package dev.p2psuite.dht.search;

/**
 * A token bucket with injected time: {@code ratePerSecond} tokens a second, at most {@code burst} held, full at
 * the start. Not thread-safe (its owners synchronize).
 */
public final class TokenBucket {

    private final double perMs;
    private final double burst;
    private double tokens;
    private long lastMs;

    public TokenBucket(double ratePerSecond, double burst, long nowMs) {
        if (!(ratePerSecond > 0) || !(burst >= 1)) {
            throw new IllegalArgumentException("rate must be > 0 and burst >= 1, got " + ratePerSecond + ", " + burst);
        }
        this.perMs = ratePerSecond / 1000.0;
        this.burst = burst;
        this.tokens = burst;
        this.lastMs = nowMs;
    }

    /** Whether a token is available now (nothing taken). */
    public boolean available(long nowMs) {
        refill(nowMs);
        return tokens >= 1;
    }

    /** Takes a token if one is available. */
    public boolean tryTake(long nowMs) {
        refill(nowMs);
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    /** Whether the bucket is full (it may then be forgotten without changing any outcome). */
    boolean full(long nowMs) {
        refill(nowMs);
        return tokens >= burst;
    }

    private void refill(long nowMs) {
        if (nowMs > lastMs) {
            tokens = Math.min(burst, tokens + (nowMs - lastMs) * perMs);
            lastMs = nowMs;
        }
    }
}
