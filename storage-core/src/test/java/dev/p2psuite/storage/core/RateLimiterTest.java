package dev.p2psuite.storage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    @Test
    void fullBucketAdmitsTheBurstThenRefillsAtTheRate() {
        RateLimiter l = new RateLimiter(1000, 500, T0);
        assertThat(l.tryAcquire(500, T0)).isTrue();
        assertThat(l.tryAcquire(1, T0)).isFalse();
        assertThat(l.delayFor(250, T0)).isEqualTo(Duration.ofMillis(250));
        assertThat(l.tryAcquire(250, T0.plusMillis(249))).isFalse();
        assertThat(l.tryAcquire(250, T0.plusMillis(250))).isTrue();
        assertThat(l.available(T0.plusSeconds(100))).isEqualTo(500); // capped at the burst
    }

    @Test
    void requestLargerThanTheBurstPassesWhenTheBucketIsFullAndLeavesDebt() {
        RateLimiter l = new RateLimiter(100_000, 16_384, T0);
        assertThat(l.tryAcquire(Manifest.PIECE_SIZE, T0)).isTrue();
        assertThat(l.available(T0)).isEqualTo(16_384 - Manifest.PIECE_SIZE);
        // The debt (245,760 bytes) plus a full bucket (16,384) must refill first: 2.62144 s at 100 kB/s.
        assertThat(l.delayFor(Manifest.PIECE_SIZE, T0)).isEqualTo(Duration.ofNanos(2_621_440_000L));
        assertThat(l.tryAcquire(Manifest.PIECE_SIZE, T0.plusMillis(2_621))).isFalse();
        assertThat(l.tryAcquire(Manifest.PIECE_SIZE, T0.plusMillis(2_622))).isTrue();
    }

    @Test
    void reservePacesAStreamAtTheRate() {
        RateLimiter l = new RateLimiter(1000, 1000, T0);
        assertThat(l.reserve(1000, T0)).isZero();
        assertThat(l.reserve(1000, T0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(l.reserve(1000, T0)).isEqualTo(Duration.ofSeconds(2));
        assertThat(l.reserve(500, T0.plusSeconds(3))).isZero();
    }

    @Test
    void refundedBytesThatNeverMovedShortenTheNextWaitUpToAFullBucket() {
        RateLimiter l = new RateLimiter(1000, 1000, T0);
        l.reserve(1000, T0);
        l.reserve(1000, T0); // 1 s of debt
        l.refund(1000, T0); // that request was answered "choked"
        assertThat(l.reserve(1000, T0)).isEqualTo(Duration.ofSeconds(1)); // 2 s without the refund
        l.refund(10_000, T0.plusSeconds(5));
        assertThat(l.available(T0.plusSeconds(5))).isEqualTo(1000); // never more than a full bucket
    }

    @Test
    void longRunThroughputMatchesTheRatePlusOneBurst() {
        RateLimiter l = RateLimiter.perSecond(1_000_000, T0);
        assertThat(l.burstBytes()).isEqualTo(1_000_000);
        long sent = 0;
        for (int ms = 0; ms <= 60_000; ms++) {
            while (l.tryAcquire(16_384, T0.plusMillis(ms))) {
                sent += 16_384;
            }
        }
        assertThat(sent).isBetween(61_000_000L - 16_384, 61_000_000L + 16_384);
    }

    @Test
    void unlimitedAdmitsEverything() {
        RateLimiter l = RateLimiter.unlimited(T0);
        assertThat(l.isUnlimited()).isTrue();
        assertThat(l.tryAcquire(Long.MAX_VALUE, T0)).isTrue();
        assertThat(l.delayFor(1L << 40, T0)).isZero();
        assertThat(RateLimiter.perSecond(0, T0).isUnlimited()).isTrue();
    }

    @Test
    void clockGoingBackwardsMintsNoTokens() {
        RateLimiter l = new RateLimiter(1000, 1000, T0);
        assertThat(l.tryAcquire(1000, T0)).isTrue();
        assertThat(l.tryAcquire(1, T0.minusSeconds(10))).isFalse();
        assertThat(l.tryAcquire(500, T0.plusMillis(500))).isTrue();
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThatThrownBy(() -> new RateLimiter(-1, 10, T0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RateLimiter(10, 0, T0)).hasMessageContaining("burst");
        assertThatThrownBy(() -> new RateLimiter(10, 10, T0).tryAcquire(-1, T0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(RateLimiter.perSecond(1000, T0).burstBytes()).isEqualTo(Manifest.PIECE_SIZE);
    }
}
