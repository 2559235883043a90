package dev.p2psuite.dht.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Duplicate suppression by query ID: 10 minutes of memory, bounded. */
class SeenQueriesTest {

    private static byte[] id(long n) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[15 - i] = (byte) (n >>> (8 * i));
        }
        return b;
    }

    @Test
    void anIdIsNewOnceAndADuplicateForTenMinutes() {
        SeenQueries seen = new SeenQueries(Duration.ofMinutes(10), 100);
        assertThat(seen.firstSighting(id(1), 0)).isTrue();
        assertThat(seen.firstSighting(id(1), 1)).isFalse();
        assertThat(seen.firstSighting(id(1), 599_999)).isFalse();
        assertThat(seen.firstSighting(id(1), 600_000)).as("forgotten after 10 min").isTrue();
    }

    @Test
    void idsDifferingInAnyByteAreDistinct() {
        SeenQueries seen = new SeenQueries(Duration.ofMinutes(10), 1_000);
        for (int i = 0; i < 16; i++) {
            byte[] b = new byte[16];
            b[i] = 1;
            assertThat(seen.firstSighting(b, 0)).isTrue();
        }
        assertThat(seen.firstSighting(new byte[16], 0)).isTrue();
        assertThat(seen.size()).isEqualTo(17);
    }

    @Test
    void theMemoryIsBoundedByForgettingTheOldestFirst() {
        SeenQueries seen = new SeenQueries(Duration.ofMinutes(10), 3);
        for (int i = 0; i < 5; i++) {
            seen.firstSighting(id(i), i);
        }
        assertThat(seen.size()).isEqualTo(3);
        assertThat(seen.firstSighting(id(4), 10)).isFalse();
        assertThat(seen.firstSighting(id(0), 10)).as("the oldest was forgotten").isTrue();
    }

    @Test
    void seededStreamsOfIdsAgreeWithASimpleModel() {
        for (long seed = 1; seed <= 20; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            SeenQueries seen = new SeenQueries(Duration.ofSeconds(60), 1_000_000);
            java.util.Map<Long, Long> model = new java.util.HashMap<>();
            long now = 0;
            for (int i = 0; i < 2_000; i++) {
                now += r.nextInt(100);
                long n = r.nextInt(300);
                Long at = model.get(n);
                boolean expectNew = at == null || now - at >= 60_000;
                assertThat(seen.firstSighting(id(n), now)).as("seed %d step %d", seed, i).isEqualTo(expectNew);
                if (expectNew) {
                    model.put(n, now);
                }
            }
        }
    }
}
