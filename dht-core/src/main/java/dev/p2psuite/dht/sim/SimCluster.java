package dev.p2psuite.dht.sim;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.DhtSettings;
import dev.p2psuite.dht.core.Lookup;
import dev.p2psuite.identity.NodeId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * A whole simulated network: nodes with real keys and records, joined through the real bootstrap protocol, plus
 * the ground truth (who is really closest to a target) that lookups are measured against. Used by
 * {@link DhtSimulation} and by the simulator tests.
 */
public final class SimCluster implements AutoCloseable {

    /** How many nodes join at once at most; batches grow with the network (a fifth of its size). */
    public static final int DEFAULT_MAX_JOIN_BATCH = 2_000;

    private final SimTime time;
    private final SimNetwork net;
    private final DhtSettings base;
    private final SplittableRandom random;
    private final List<SimNode> nodes;
    private final long[] id0;
    private final long[] id1;
    private final int[] id2;

    /**
     * Creates {@code n} nodes (keys, records and their verification in parallel: each node's key comes only from
     * the seed and its index, so the result does not depend on scheduling).
     */
    public SimCluster(int n, long seed, SimNetwork.Conditions conditions, DhtSettings base) {
        this(n, seed, conditions, base, SimTime.DEFAULT_PARTITIONS);
    }

    /**
     * @param partitions simulation threads (results are deterministic for a given count; the lookahead window is the
     *                   network's minimum latency)
     */
    public SimCluster(int n, long seed, SimNetwork.Conditions conditions, DhtSettings base, int partitions) {
        this(n, seed, conditions, base, new SimTime(partitions, conditions.latencyMinMs()));
    }

    SimCluster(int n, long seed, SimNetwork.Conditions conditions, DhtSettings base, SimTime time) {
        this.time = time;
        this.net = new SimNetwork(time, conditions, seed);
        this.base = base;
        this.random = new SplittableRandom(SimNode.mix(seed, -3));
        // Records are signed here, so they are valid by construction; the network counts them as verified.
        SimNode[] made = IntStream.range(0, n).parallel().mapToObj(i -> SimNode.create(i, seed))
                .toArray(SimNode[]::new);
        nodes = new ArrayList<>(n);
        int salt = 0;
        for (SimNode node : made) {
            while (net.hasEndpoint(node.contact().endpoint())) {
                node = SimNode.create(node.index(), seed + 7919L * ++salt);  // address collision: draw again
            }
            nodes.add(net.add(node.compacted(), true));
        }
        made = null;
        System.gc();  // compacts the contacts, still in allocation order, before the run starts
        id0 = new long[n];
        id1 = new long[n];
        id2 = new int[n];
        for (int i = 0; i < n; i++) {
            byte[] b = nodes.get(i).id().bytes();
            id0[i] = longAt(b, 0);
            id1[i] = longAt(b, 8);
            id2[i] = (int) (longAt(b, 12) & 0xffffffffL);
        }
    }

    public SimTime time() {
        return time;
    }

    @Override
    public void close() {
        time.close();
    }

    public SimNetwork network() {
        return net;
    }

    public List<SimNode> nodes() {
        return nodes;
    }

    public SplittableRandom random() {
        return random;
    }

    public DhtSettings baseSettings() {
        return base;
    }

    /** Settings of a node that bootstraps through {@code bootstrap}. */
    public DhtSettings joining(List<Contact> bootstrap) {
        return base.toBuilder().standalone(false).bootstrapContacts(bootstrap).build();
    }

    /**
     * Starts node 0 standalone (the network's first node) and joins every other node through the bootstrap protocol,
     * each with a random already-joined node as its bootstrap node, in batches that grow with the network.
     *
     * @return nodes that did not finish joining within the time allowed (should be 0)
     */
    public int joinAll(int maxBatch, Consumer<String> progress) {
        return join(nodes.size(), maxBatch, progress);
    }

    /** Like {@link #joinAll} for the first {@code count} nodes only; the rest stay down. */
    public int join(int count, int maxBatch, Consumer<String> progress) {
        SimNode first = nodes.get(0);
        net.start(first, base.toBuilder().standalone(true).build());
        List<SimNode> joined = new ArrayList<>(List.of(first));
        int failures = 0;
        int next = 1;
        long lastReport = System.nanoTime();
        while (next < count) {
            int batch = Math.min(Math.max(1, Math.min(maxBatch, joined.size() / 5 + 1)), count - next);
            List<CompletableFuture<Void>> joins = new ArrayList<>(batch);
            List<SimNode> starting = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                SimNode n = nodes.get(next++);
                SimNode via = joined.get(random.nextInt(joined.size()));
                joins.add(net.start(n, joining(List.of(via.contact()))));
                starting.add(n);
            }
            AtomicInteger done = new AtomicInteger();
            for (CompletableFuture<Void> f : joins) {
                f.whenComplete((v, e) -> done.incrementAndGet());
            }
            time.runUntil(() -> done.get() == joins.size(), 10 * 60_000L);
            for (int i = 0; i < batch; i++) {
                if (joins.get(i).isDone() && !joins.get(i).isCompletedExceptionally()) {
                    joined.add(starting.get(i));
                } else {
                    failures++;  // still trying in the background; not used as a bootstrap node
                }
            }
            if (progress != null && System.nanoTime() - lastReport > 5_000_000_000L) {
                lastReport = System.nanoTime();
                progress.accept("joined " + next + "/" + count + " (virtual " + time.elapsedMs() / 1000
                        + " s, " + net.messages() + " messages)");
            }
        }
        return failures;
    }

    /**
     * Continuous churn for {@code duration}: every virtual minute, {@code fractionPerMinute} of the alive nodes die
     * without notice and as many dead ones come back with a fresh core (empty table and store) that joins through a
     * random alive node. Returns how many nodes died.
     */
    public int churn(double fractionPerMinute, java.time.Duration duration) {
        int died = 0;
        long end = time.millis() + duration.toMillis();
        while (time.millis() < end) {
            List<SimNode> up = alive();
            List<SimNode> down = new ArrayList<>();
            for (SimNode n : nodes) {
                if (!n.alive && n.node != null) {
                    down.add(n);
                }
            }
            int count = (int) Math.round(up.size() * fractionPerMinute);
            for (int i = 0; i < count && !up.isEmpty(); i++) {
                net.kill(up.remove(random.nextInt(up.size())));
                died++;
            }
            for (int i = 0; i < count && !down.isEmpty() && !up.isEmpty(); i++) {
                SimNode back = down.remove(random.nextInt(down.size()));
                net.start(back, joining(List.of(up.get(random.nextInt(up.size())).contact())));
            }
            time.runUntil(Math.min(end, time.millis() + 60_000));
        }
        return died;
    }

    /** Runs the loop until every future is done or {@code maxMs} of virtual time passed; returns the results. */
    public <T> List<T> await(List<CompletableFuture<T>> futures, long maxMs) {
        AtomicInteger done = new AtomicInteger();
        for (CompletableFuture<T> f : futures) {
            f.whenComplete((v, e) -> done.incrementAndGet());
        }
        time.runUntil(() -> done.get() == futures.size(), maxMs);
        List<T> out = new ArrayList<>(futures.size());
        for (CompletableFuture<T> f : futures) {
            out.add(f.isDone() && !f.isCompletedExceptionally() ? f.join() : null);
        }
        return out;
    }

    public <T> T await(CompletableFuture<T> future, long maxMs) {
        return await(List.of(future), maxMs).get(0);
    }

    public List<SimNode> alive() {
        List<SimNode> out = new ArrayList<>();
        for (SimNode n : nodes) {
            if (n.alive) {
                out.add(n);
            }
        }
        return out;
    }

    public SimNode randomAlive() {
        while (true) {
            SimNode n = nodes.get(random.nextInt(nodes.size()));
            if (n.alive) {
                return n;
            }
        }
    }

    /** The {@code k} alive nodes truly closest to {@code target}, never {@code excluding}: brute force. */
    public Set<NodeId> trueClosest(NodeId target, int k, NodeId excluding) {
        byte[] t = target.bytes();
        long t0 = longAt(t, 0);
        long t1 = longAt(t, 8);
        int t2 = (int) (longAt(t, 12) & 0xffffffffL);
        int[] best = new int[k];
        int held = 0;
        for (int i = 0; i < nodes.size(); i++) {
            SimNode n = nodes.get(i);
            if (!n.alive || n.id().equals(excluding)) {
                continue;
            }
            if (held == k && compare(i, best[held - 1], t0, t1, t2) >= 0) {
                continue;
            }
            int pos = held == k ? k - 1 : held++;
            while (pos > 0 && compare(i, best[pos - 1], t0, t1, t2) < 0) {
                best[pos] = best[pos - 1];
                pos--;
            }
            best[pos] = i;
        }
        Set<NodeId> out = new HashSet<>();
        for (int i = 0; i < held; i++) {
            out.add(nodes.get(best[i]).id());
        }
        return out;
    }

    private int compare(int a, int b, long t0, long t1, int t2) {
        int c = Long.compareUnsigned(id0[a] ^ t0, id0[b] ^ t0);
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(id1[a] ^ t1, id1[b] ^ t1);
        return c != 0 ? c : Integer.compareUnsigned(id2[a] ^ t2, id2[b] ^ t2);
    }

    private static long longAt(byte[] b, int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) {
            v = (v << 8) | (b[i] & 0xffL);
        }
        return v;
    }

    /** One measured lookup. */
    public record LookupSample(NodeId target, boolean exact, int rounds, int messages, long virtualMs) {
    }

    /**
     * {@code count} lookups of random targets from random alive honest nodes, all started together; each result is
     * compared with the true k closest alive nodes (the querying node excluded: a lookup never returns itself).
     */
    public List<LookupSample> lookups(int count, int k) {
        List<NodeId> targets = new ArrayList<>(count);
        List<SimNode> from = new ArrayList<>(count);
        List<CompletableFuture<Lookup.Result>> runs = new ArrayList<>(count);
        long[] finishedAt = new long[count];
        long startedAt = time.millis();
        for (int i = 0; i < count; i++) {
            SimNode n = randomAlive();
            while (n.behaviour != SimNode.Behaviour.HONEST) {
                n = randomAlive();
            }
            NodeId target = NodeId.random(random);
            targets.add(target);
            from.add(n);
            int slot = i;
            CompletableFuture<Lookup.Result> f = n.node.findNode(target);
            EventLoop clock = time.loop(n.partition());
            f.whenComplete((r, e) -> finishedAt[slot] = clock.millis());
            runs.add(f);
        }
        List<Lookup.Result> results = await(runs, 10 * 60_000L);
        // The ground truth is a pure function of the alive set: computed in parallel, in order.
        return IntStream.range(0, count).parallel().mapToObj(i -> {
            Lookup.Result r = results.get(i);
            if (r == null) {
                return new LookupSample(targets.get(i), false, 0, 0, -1);
            }
            Set<NodeId> got = new HashSet<>();
            for (Contact c : r.closest()) {
                got.add(c.id());
            }
            boolean exact = got.equals(trueClosest(targets.get(i), k, from.get(i).id()));
            return new LookupSample(targets.get(i), exact, r.rounds(), r.messages(), finishedAt[i] - startedAt);
        }).toList();
    }

    /** The running cores of alive nodes. */
    public List<DhtNode> aliveCores() {
        List<DhtNode> out = new ArrayList<>();
        for (SimNode n : nodes) {
            if (n.alive) {
                out.add(n.node);
            }
        }
        return out;
    }
}
