package dev.p2psuite.dht.search;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtRejection;
import dev.p2psuite.dht.sim.EventLoop;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A few {@link FloodSearch} engines in one virtual-time {@link EventLoop}, wired by hand (fixed neighbour lists):
 * every call and response message takes {@link #latencyMs}. A node may be replaced by a liar that answers every
 * query with hits of its choosing.
 */
final class SearchTestNet {

    final EventLoop loop = new EventLoop();
    final Map<NodeId, Node> nodes = new HashMap<>();
    long latencyMs = 5;
    int calls;

    /** One node: its identity, index, neighbours (mutable until the first query) and engine. */
    final class Node {
        final String name;
        final NodeKey key;
        final Contact contact;
        final MetadataIndex index = new MetadataIndex();
        final List<Contact> neighbours = new ArrayList<>();
        final FloodSearch search;
        /** When set, this node answers queries with these hits instead of running its engine. */
        Function<Query, List<Hit>> liar;
        /** When set, this node takes calls and never answers them. */
        boolean silent;
        int queriesSeen;
        Query lastQuery;
        /** Calls this node cancelled. */
        int cancelsSent;

        Node(String name, int number, SearchSettings settings) {
            this.name = name;
            this.key = key(number);
            this.contact = Contact.of(SignedPeerRecord.sign(key, 1, List.of(Candidate.host("10.0.0." + number, 4001))));
            this.search = new FloodSearch(key, contact::record, settings, index,
                    () -> {
                        List<NeighbourSelector.Candidate> out = new ArrayList<>();
                        for (int i = 0; i < neighbours.size(); i++) {
                            out.add(new NeighbourSelector.Candidate(neighbours.get(i), i, loop.millis(), 0));
                        }
                        return CompletableFuture.completedFuture(out);
                    },
                    new Rpc(this), loop, Runnable::run, loop, new SplittableRandom(number));
        }

        NodeId id() {
            return contact.id();
        }

        void holds(IndexedContent... contents) {
            index.replaceAll(List.of(contents));
        }

        /** Originates a search and runs the loop until it ends (or 60 virtual s). */
        Collector search(int ttl, String... terms) {
            Collector c = new Collector(loop);
            search.originate(new SearchParams(List.of(terms), ttl, 1_000, 5_000), c);
            run(60_000);
            return c;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Runs every event of the next {@code ms} virtual milliseconds and moves the clock to their end. */
    void run(long ms) {
        long end = loop.millis() + ms;
        loop.runBefore(end);
        loop.advanceTo(end);
    }

    Node add(String name, SearchSettings settings) {
        Node n = new Node(name, nodes.size() + 1, settings);
        nodes.put(n.id(), n);
        return n;
    }

    Node add(String name) {
        return add(name, SearchSettings.defaults());
    }

    /** {@code from} floods to each of {@code to}. */
    static void link(Node from, Node... to) {
        for (Node t : to) {
            from.neighbours.add(t.contact);
        }
    }

    static NodeKey key(long seed) {
        byte[] secret = new byte[NodeKey.PRIVATE_KEY_BYTES];
        new SplittableRandom(seed * 7919 + 17).nextBytes(secret);
        return NodeKey.fromPrivateKey(secret);
    }

    /** A content with a synthetic 34-byte ID derived from {@code name}. */
    static IndexedContent content(String name, String mediaType, String... tags) {
        byte[] id = new byte[SearchLimits.CONTENT_ID_BYTES];
        id[0] = 0x12;
        id[1] = 0x20;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            System.arraycopy(d, 0, id, 2, 32);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return new IndexedContent(id, name, 1_234_567, mediaType, List.of(tags));
    }

    /** What a search delivered, and when. */
    static final class Collector implements HitSink {
        final EventLoop loop;
        final long startedAt;
        final List<Hit> hits = new ArrayList<>();
        final List<Long> arrivals = new ArrayList<>();
        boolean completed;
        DhtRejection failure;
        long endedAt = -1;

        Collector(EventLoop loop) {
            this.loop = loop;
            this.startedAt = loop.millis();
        }

        @Override
        public void hits(List<Hit> batch) {
            if (completed || failure != null) {
                throw new AssertionError("hits after the end");
            }
            if (batch.isEmpty() || batch.size() > SearchLimits.MAX_HITS_PER_MESSAGE) {
                throw new AssertionError("a batch must hold 1..20 hits, got " + batch.size());
            }
            hits.addAll(batch);
            for (int i = 0; i < batch.size(); i++) {
                arrivals.add(loop.millis() - startedAt);
            }
        }

        @Override
        public void completed() {
            if (completed || failure != null) {
                throw new AssertionError("ended twice");
            }
            completed = true;
            endedAt = loop.millis();
        }

        @Override
        public void failed(DhtRejection rejection) {
            if (completed || failure != null) {
                throw new AssertionError("ended twice");
            }
            failure = rejection;
            endedAt = loop.millis();
        }

        List<NodeId> providers() {
            return hits.stream().map(h -> h.provider().nodeId()).toList();
        }
    }

    /** Calls delivered through the loop, as the simulator does, one latency per message. */
    private final class Rpc implements SearchRpc {
        private final Node from;

        Rpc(Node from) {
            this.from = from;
        }

        @Override
        public Call query(Contact neighbour, Query query, long deadlineUnixMs, Listener listener) {
            calls++;
            Node target = nodes.get(neighbour.id());
            boolean[] cancelled = {false};
            FloodSearch.Handle[] remote = {null};
            long[] last = {0};
            Function<Runnable, Void> deliver = event -> {
                long at = Math.max(last[0], loop.millis() + latencyMs);
                last[0] = at;
                loop.scheduleAt(at, () -> {
                    if (!cancelled[0]) {
                        event.run();
                    }
                });
                return null;
            };
            loop.scheduleMs(latencyMs, () -> {
                if (cancelled[0]) {
                    return;
                }
                if (target == null) {
                    listener.onEnd(new Unreachable("no such node"));
                    return;
                }
                target.queriesSeen++;
                target.lastQuery = query;
                if (target.silent) {
                    return;
                }
                if (target.liar != null) {
                    List<Hit> lies = target.liar.apply(query);
                    deliver.apply(() -> listener.onHits(lies));
                    deliver.apply(() -> listener.onEnd(null));
                    return;
                }
                remote[0] = target.search.onQuery(from.id(), query.id(), query.ttl(), query.hops(), query.terms(),
                        query.maxHits(), query.origin(), deadlineUnixMs, new HitSink() {
                            @Override
                            public void hits(List<Hit> hits) {
                                deliver.apply(() -> listener.onHits(hits));
                            }

                            @Override
                            public void completed() {
                                deliver.apply(() -> listener.onEnd(null));
                            }

                            @Override
                            public void failed(DhtRejection rejection) {
                                deliver.apply(() -> listener.onEnd(rejection));
                            }
                        });
            });
            return () -> {
                if (!cancelled[0]) {
                    from.cancelsSent++;
                }
                cancelled[0] = true;
                loop.scheduleMs(latencyMs, () -> {
                    if (remote[0] != null) {
                        remote[0].cancel();
                    }
                });
            };
        }
    }
}
