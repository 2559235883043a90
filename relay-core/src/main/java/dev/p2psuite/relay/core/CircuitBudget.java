package dev.p2psuite.relay.core;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One circuit's byte and time budget (relay_peer.proto {@code ConnectOpened.max_bytes}, {@code max_seconds}).
 * {@link #tryConsume} is called for every frame from both directions at once, so it is lock-free: a frame is
 * relayed only if the bytes so far plus the frame stay within the budget; the frame that would exceed it is not
 * relayed and the circuit is closed.
 */
public final class CircuitBudget {

    private final long maxBytes;
    private final Duration maxDuration;
    private final Instant openedAt;
    private final AtomicLong used = new AtomicLong();
    private final LongAdder reservationBytes;
    private final LongAdder relayBytes;

    CircuitBudget(long maxBytes, Duration maxDuration, Instant openedAt, LongAdder reservationBytes,
                  LongAdder relayBytes) {
        this.maxBytes = maxBytes;
        this.maxDuration = maxDuration;
        this.openedAt = openedAt;
        this.reservationBytes = reservationBytes;
        this.relayBytes = relayBytes;
    }

    /** Counts {@code bytes} against the budget; false, counting nothing, if they would exceed it. */
    public boolean tryConsume(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative byte count " + bytes);
        }
        while (true) {
            long before = used.get();
            long after = before + bytes;
            if (maxBytes > 0 && after > maxBytes) {
                return false;
            }
            if (used.compareAndSet(before, after)) {
                break;
            }
        }
        if (reservationBytes != null) {
            reservationBytes.add(bytes);
        }
        relayBytes.add(bytes);
        return true;
    }

    /** Bytes relayed so far, both directions. */
    public long used() {
        return used.get();
    }

    /** 0 = unlimited. */
    public long maxBytes() {
        return maxBytes;
    }

    /** Zero = unlimited. */
    public Duration maxDuration() {
        return maxDuration;
    }

    public Instant openedAt() {
        return openedAt;
    }

    /** True once the time budget is used up at {@code now}. */
    public boolean overTime(Instant now) {
        return !maxDuration.isZero() && !now.isBefore(openedAt.plus(maxDuration));
    }
}
