package dev.p2psuite.dht.sim.search;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtRejection;
import dev.p2psuite.dht.search.FloodSearch;
import dev.p2psuite.dht.search.Hit;
import dev.p2psuite.dht.search.HitSink;
import dev.p2psuite.dht.search.MetadataIndex;
import dev.p2psuite.dht.search.NeighbourSource;
import dev.p2psuite.dht.search.Query;
import dev.p2psuite.dht.search.SearchRpc;
import dev.p2psuite.dht.search.SearchSettings;
import dev.p2psuite.dht.sim.EventLoop;
import dev.p2psuite.dht.sim.SimCluster;
import dev.p2psuite.dht.sim.SimNetwork;
import dev.p2psuite.dht.sim.SimNode;
import dev.p2psuite.identity.NodeId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The real {@link FloodSearch} on every alive node of a {@link SimCluster} built with one partition: neighbours come
 * from each node's real routing table, Query calls and every response message take a one-way latency drawn from the
 * cluster's network conditions (messages of one stream stay in order, as on one HTTP/2 stream), and cancelling a
 * call reaches the callee one latency later, as gRPC cancellation does. Single-threaded and deterministic.
 */
public final class SimSearchNetwork {

    private final SimCluster cluster;
    private final EventLoop loop;
    private final SimNetwork.Conditions conditions;
    private final SplittableRandom random;
    private final Map<NodeId, Peer> peers = new HashMap<>();
    private long calls;
    private long responseMessages;

    /** One node's engine and index. */
    public record Peer(SimNode node, MetadataIndex index, FloodSearch search) {
    }

    /**
     * Builds an engine on every alive node with {@code settings}; {@code indexes} gives each node's index (absent:
     * empty). The same seed gives the same neighbour sets and query IDs.
     */
    public SimSearchNetwork(SimCluster cluster, SearchSettings settings, Map<NodeId, MetadataIndex> indexes, long seed) {
        if (cluster.time().partitions() != 1) {
            throw new IllegalArgumentException("the search simulation runs in one partition, got "
                    + cluster.time().partitions());
        }
        this.cluster = cluster;
        this.loop = cluster.time().loop(0);
        this.conditions = cluster.network().conditions();
        this.random = new SplittableRandom(seed);
        for (SimNode n : cluster.alive()) {
            MetadataIndex index = indexes.getOrDefault(n.id(), new MetadataIndex());
            FloodSearch search = new FloodSearch(n.key(), () -> n.contact().record(), settings, index,
                    NeighbourSource.routingTable(n.node()), new Rpc(n), loop, Runnable::run, loop,
                    new SplittableRandom(seed ^ n.seed()));
            peers.put(n.id(), new Peer(n, index, search));
        }
    }

    public Peer peer(NodeId id) {
        return peers.get(id);
    }

    public List<Peer> peers() {
        return List.copyOf(peers.values());
    }

    /** Query calls sent so far. */
    public long calls() {
        return calls;
    }

    /** QueryResponse messages (hit batches) sent so far. */
    public long responseMessages() {
        return responseMessages;
    }

    private long latency() {
        long min = conditions.latencyMinMs();
        long span = conditions.latencyMaxMs() - min;
        return span == 0 ? min : min + random.nextLong(span + 1);
    }

    /** One simulated server-streaming call. */
    private final class SimCall implements SearchRpc.Call {
        final SearchRpc.Listener listener;
        FloodSearch.Handle remote;
        boolean cancelled;
        boolean ended;
        long lastDelivery;

        SimCall(SearchRpc.Listener listener) {
            this.listener = listener;
        }

        @Override
        public void cancel() {
            if (cancelled || ended) {
                return;
            }
            cancelled = true;
            loop.scheduleMs(latency(), () -> {
                if (remote != null) {
                    remote.cancel();
                }
            });
        }

        /** Delivers a response-side event to the caller one latency later, after the stream's earlier ones. */
        void deliver(Runnable event, boolean last) {
            long at = Math.max(lastDelivery, loop.millis() + latency());
            lastDelivery = at;
            loop.scheduleAt(at, () -> {
                if (!cancelled && !ended) {
                    ended = last;
                    event.run();
                }
            });
        }
    }

    private final class Rpc implements SearchRpc {
        private final SimNode from;

        Rpc(SimNode from) {
            this.from = from;
        }

        @Override
        public SearchRpc.Call query(Contact neighbour, Query query, long deadlineUnixMs, Listener listener) {
            calls++;
            SimCall call = new SimCall(listener);
            Peer target = peers.get(neighbour.id());
            if (target == null || !target.node().alive()) {
                loop.scheduleMs(conditions.rpcTimeout().toMillis(), () -> {
                    if (!call.cancelled) {
                        listener.onEnd(new Unreachable("no answer from " + neighbour));
                    }
                });
                return call;
            }
            loop.scheduleMs(latency(), () -> {
                if (call.cancelled) {
                    return;
                }
                call.remote = target.search().onQuery(from.id(), query.id(), query.ttl(), query.hops(), query.terms(),
                        query.maxHits(), query.origin(), deadlineUnixMs, new HitSink() {
                            @Override
                            public void hits(List<Hit> hits) {
                                responseMessages++;
                                call.deliver(() -> listener.onHits(hits), false);
                            }

                            @Override
                            public void completed() {
                                call.deliver(() -> listener.onEnd(null), true);
                            }

                            @Override
                            public void failed(DhtRejection rejection) {
                                call.deliver(() -> listener.onEnd(rejection), true);
                            }
                        });
            });
            return call;
        }
    }
}
