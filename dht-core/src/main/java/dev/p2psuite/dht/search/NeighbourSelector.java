package dev.p2psuite.dht.search;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.identity.NodeId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.random.RandomGenerator;

/**
 * Picks the bounded neighbour set queries are flooded to, from the live contacts of the routing table (which PEX
 * feeds once its peers answer a ping). Like a Gnutella servent's connections the set is kept stable: neighbours
 * still live stay, gaps are filled. New ones are spread over the buckets (one per bucket in turn, random within a
 * bucket), so the overlay mixes near and far nodes of the keyspace rather than clustering around this node's ID.
 */
public final class NeighbourSelector {

    /** A routing-table contact as a neighbour candidate. */
    public record Candidate(Contact contact, int bucket, long lastSeenUnixMs, int failures) {
    }

    private NeighbourSelector() {
    }

    /**
     * @param current       the present neighbours (kept while their contact is live)
     * @param want          the size of the set
     * @param liveWindowMs  a contact heard from within this is preferred; older ones (never failed) only fill gaps
     */
    public static List<Contact> select(List<Contact> current, List<Candidate> candidates, int want, long nowMs,
                                       long liveWindowMs, RandomGenerator random) {
        Map<NodeId, Candidate> live = new LinkedHashMap<>();
        for (Candidate c : candidates) {
            if (c.failures() == 0) {
                live.put(c.contact().id(), c);
            }
        }
        List<Contact> out = new ArrayList<>(want);
        Set<NodeId> taken = new HashSet<>();
        for (Contact c : current) {
            Candidate fresh = live.get(c.id());
            if (fresh != null && out.size() < want && taken.add(c.id())) {
                out.add(fresh.contact()); // its newest record
            }
        }
        List<Candidate> recent = new ArrayList<>();
        List<Candidate> older = new ArrayList<>();
        for (Candidate c : live.values()) {
            if (!taken.contains(c.contact().id())) {
                (nowMs - c.lastSeenUnixMs() <= liveWindowMs ? recent : older).add(c);
            }
        }
        fill(out, recent, want, random);
        fill(out, older, want, random);
        return out;
    }

    private static void fill(List<Contact> out, List<Candidate> pool, int want, RandomGenerator random) {
        if (out.size() >= want || pool.isEmpty()) {
            return;
        }
        Map<Integer, List<Candidate>> byBucket = new TreeMap<>();
        for (Candidate c : pool) {
            byBucket.computeIfAbsent(c.bucket(), b -> new ArrayList<>()).add(c);
        }
        List<List<Candidate>> buckets = new ArrayList<>(byBucket.values());
        for (List<Candidate> b : buckets) {
            shuffle(b, random);
        }
        shuffle(buckets, random);
        boolean more = true;
        for (int round = 0; more && out.size() < want; round++) {
            more = false;
            for (List<Candidate> b : buckets) {
                if (round < b.size()) {
                    more = true;
                    out.add(b.get(round).contact());
                    if (out.size() >= want) {
                        return;
                    }
                }
            }
        }
    }

    private static <T> void shuffle(List<T> list, RandomGenerator random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
