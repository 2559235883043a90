package dev.p2psuite.dht.search;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.RoutingTable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Where neighbour candidates come from: the DHT's routing table, or a fixed list (tests, fixed topologies). */
public interface NeighbourSource {

    CompletableFuture<List<NeighbourSelector.Candidate>> candidates();

    /** The live contacts of {@code node}'s routing table, with their bucket, last-seen time and failures. */
    static NeighbourSource routingTable(DhtNode node) {
        return () -> node.routingTable(false).thenApply(buckets -> {
            List<NeighbourSelector.Candidate> out = new ArrayList<>();
            for (RoutingTable.BucketSnapshot b : buckets) {
                for (RoutingTable.Entry e : b.contacts()) {
                    out.add(new NeighbourSelector.Candidate(e.contact(), b.index(), e.lastSeenUnixMs(), e.failures()));
                }
            }
            return out;
        });
    }

    /** Always these contacts, as if just seen (each in its own bucket, so all are taken up to the set size). */
    static NeighbourSource fixed(List<Contact> contacts) {
        List<Contact> copy = List.copyOf(contacts);
        return () -> {
            List<NeighbourSelector.Candidate> out = new ArrayList<>();
            for (int i = 0; i < copy.size(); i++) {
                out.add(new NeighbourSelector.Candidate(copy.get(i), i, Long.MAX_VALUE / 2, 0));
            }
            return CompletableFuture.completedFuture(out);
        };
    }
}
