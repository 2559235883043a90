package dev.p2psuite.dht.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.identity.NodeId;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Token buckets with injected time: the forwarding limits and the callers' query rate. */
class RateLimitTest {

    @Test
    void aBucketStartsFullAndRefillsAtItsRate() {
        TokenBucket b = new TokenBucket(10, 10, 0);
        for (int i = 0; i < 10; i++) {
            assertThat(b.tryTake(0)).isTrue();
        }
        assertThat(b.tryTake(0)).isFalse();
        assertThat(b.tryTake(99)).as("0.99 tokens after 99 ms").isFalse();
        assertThat(b.tryTake(100)).isTrue();
        assertThat(b.tryTake(100)).isFalse();
        assertThat(b.available(10_000)).isTrue();
        for (int i = 0; i < 10; i++) {
            assertThat(b.tryTake(10_000)).as("refill stops at the burst").isTrue();
        }
        assertThat(b.tryTake(10_000)).isFalse();
    }

    @Test
    void noWindowLetsMoreThroughThanBurstPlusRateTimesItsLength() {
        // Seeded property loop: random arrival patterns never beat the bucket's bound.
        for (long seed = 1; seed <= 30; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            double rate = 1 + r.nextInt(20);
            double burst = rate;
            TokenBucket b = new TokenBucket(rate, burst, 0);
            long now = 0;
            int n = 1_500;
            long[] passedAt = new long[n];
            int passed = 0;
            for (int i = 0; i < n; i++) {
                now += r.nextInt(r.nextBoolean() ? 3 : 200);
                if (b.tryTake(now)) {
                    passedAt[passed++] = now;
                }
            }
            String violation = null;
            for (int i = 0; i < passed && violation == null; i++) {
                for (int j = i; j < passed; j++) {
                    double window = (passedAt[j] - passedAt[i]) / 1000.0;
                    if (j - i + 1 > Math.floor(burst + rate * window + 1e-9)) {
                        violation = (j - i + 1) + " passed within " + window + " s";
                        break;
                    }
                }
            }
            assertThat(violation).as("seed %d", seed).isNull();
            assertThat(passed).as("the limiter lets a fair share through").isGreaterThan(0);
        }
    }

    @Test
    void eachNeighbourHasItsOwnBudgetAndTheTotalCapsThemAll() {
        ForwardLimiter limiter = new ForwardLimiter(10, 25, 0);
        NodeId a = NodeId.random(new SplittableRandom(1));
        NodeId b = NodeId.random(new SplittableRandom(2));
        NodeId c = NodeId.random(new SplittableRandom(3));
        int toA = 0;
        int toB = 0;
        int toC = 0;
        for (int i = 0; i < 20; i++) {
            toA += limiter.tryForward(a, 0) ? 1 : 0;
        }
        for (int i = 0; i < 20; i++) {
            toB += limiter.tryForward(b, 0) ? 1 : 0;
        }
        for (int i = 0; i < 20; i++) {
            toC += limiter.tryForward(c, 0) ? 1 : 0;
        }
        assertThat(toA).isEqualTo(10);
        assertThat(toB).isEqualTo(10);
        assertThat(toC).as("the total of 25 was spent by then").isEqualTo(5);
    }

    @Test
    void aForwardRefusedByTheTotalDoesNotSpendTheNeighboursToken() {
        ForwardLimiter limiter = new ForwardLimiter(2, 1, 0);
        NodeId a = NodeId.random(new SplittableRandom(1));
        NodeId b = NodeId.random(new SplittableRandom(2));
        assertThat(limiter.tryForward(a, 0)).isTrue();
        assertThat(limiter.tryForward(b, 0)).as("total spent").isFalse();
        assertThat(limiter.tryForward(b, 1_000)).isTrue();
        assertThat(limiter.tryForward(b, 2_000)).as("b still had its second token").isTrue();
    }

    @Test
    void keyedBucketsAreBoundedAndForgetTheLeastRecentlyUsed() {
        KeyedRateLimiter<Integer> l = new KeyedRateLimiter<>(1, 1, 3);
        for (int k = 0; k < 5; k++) {
            assertThat(l.tryTake(k, 0)).isTrue();
        }
        assertThat(l.keys()).isEqualTo(3);
        assertThat(l.tryTake(4, 0)).isFalse();
    }
}
