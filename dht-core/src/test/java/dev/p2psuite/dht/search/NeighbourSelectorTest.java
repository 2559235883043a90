package dev.p2psuite.dht.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.SignedPeerRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The bounded, stable neighbour set taken from the routing table's live contacts. */
class NeighbourSelectorTest {

    private static final long NOW = 1_000_000_000L;
    private static final long WINDOW = 60_000;

    private static Contact contact(int n) {
        return Contact.of(SignedPeerRecord.sign(SearchTestNet.key(n), 1, List.of(Candidate.host("10.1.0." + n, 4001))));
    }

    private static List<NeighbourSelector.Candidate> table(int count, int buckets) {
        List<NeighbourSelector.Candidate> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new NeighbourSelector.Candidate(contact(i + 1), i % buckets, NOW - 1_000, 0));
        }
        return out;
    }

    @Test
    void theSetIsBoundedAndSpreadOverTheBuckets() {
        List<NeighbourSelector.Candidate> candidates = table(40, 8);
        List<Contact> chosen = NeighbourSelector.select(List.of(), candidates, 8, NOW, WINDOW, new SplittableRandom(1));
        assertThat(chosen).hasSize(8).doesNotHaveDuplicates();
        Set<Integer> buckets = new HashSet<>();
        for (Contact c : chosen) {
            buckets.add(candidates.stream().filter(x -> x.contact().equals(c)).findFirst().orElseThrow().bucket());
        }
        assertThat(buckets).as("one per bucket").hasSize(8);
    }

    @Test
    void failedContactsAreNeverChosenAndStaleOnesOnlyFillGaps() {
        List<NeighbourSelector.Candidate> candidates = new ArrayList<>();
        candidates.add(new NeighbourSelector.Candidate(contact(1), 0, NOW, 1)); // failing
        candidates.add(new NeighbourSelector.Candidate(contact(2), 1, NOW - 10 * WINDOW, 0)); // silent a while
        candidates.add(new NeighbourSelector.Candidate(contact(3), 2, NOW, 0));
        candidates.add(new NeighbourSelector.Candidate(contact(4), 3, NOW, 0));
        assertThat(NeighbourSelector.select(List.of(), candidates, 2, NOW, WINDOW, new SplittableRandom(1)))
                .containsExactlyInAnyOrder(contact(3), contact(4));
        assertThat(NeighbourSelector.select(List.of(), candidates, 8, NOW, WINDOW, new SplittableRandom(1)))
                .containsExactlyInAnyOrder(contact(2), contact(3), contact(4));
    }

    @Test
    void liveNeighboursStayAndOnlyGapsAreFilled() {
        List<NeighbourSelector.Candidate> candidates = table(30, 6);
        List<Contact> first = NeighbourSelector.select(List.of(), candidates, 6, NOW, WINDOW, new SplittableRandom(1));
        // One neighbour fails, the rest stay live; the next selection keeps the five and adds one.
        Contact failing = first.get(2);
        List<NeighbourSelector.Candidate> later = new ArrayList<>();
        for (NeighbourSelector.Candidate c : candidates) {
            later.add(c.contact().equals(failing) ? new NeighbourSelector.Candidate(c.contact(), c.bucket(), NOW, 2) : c);
        }
        List<Contact> second = NeighbourSelector.select(first, later, 6, NOW, WINDOW, new SplittableRandom(99));
        assertThat(second).hasSize(6).doesNotContain(failing);
        List<Contact> kept = new ArrayList<>(first);
        kept.remove(failing);
        assertThat(second).containsAll(kept);
    }

    @Test
    void theSameSeedGivesTheSameSet() {
        List<NeighbourSelector.Candidate> candidates = table(100, 10);
        for (long seed = 1; seed <= 10; seed++) {
            assertThat(NeighbourSelector.select(List.of(), candidates, 8, NOW, WINDOW, new SplittableRandom(seed)))
                    .isEqualTo(NeighbourSelector.select(List.of(), candidates, 8, NOW, WINDOW, new SplittableRandom(seed)));
        }
    }
}
