package dev.p2psuite.dht.sim;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.DhtSettings;
import dev.p2psuite.dht.core.Endpoint;
import dev.p2psuite.dht.core.PeerRpc;
import dev.p2psuite.dht.core.ValueRecord;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerRecord;
import dev.p2psuite.identity.SignedPeerRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The simulated network: each node's {@link PeerRpc} delivers a call to the target node's inbound handler after a
 * random latency and brings the answer back after another; a call to a dead, partitioned or unknown node, or one
 * whose request or answer is lost, fails when the RPC timeout passes, as a real transport would.
 *
 * <p>It also plays the part of the gRPC adapter at the trust boundary: signed peer records in answers from lying
 * nodes are verified (once per record object, as an adapter's record book would cache it) and forged ones are
 * dropped one by one before the core sees them. Answers from honest nodes are not checked again: everything an
 * honest node sends came out of its own table, which only holds records that passed this boundary (or the nodes'
 * own records, verified when they were added). Value records are passed through unverified: the core checks
 * those itself ({@code RecordStore} on store, {@code DhtNode} on get).
 */
public final class SimNetwork {

    /** How one-way latencies are drawn between the minimum and the maximum. */
    public enum LatencyDistribution {
        /** Every value in [min, max] equally likely. */
        UNIFORM,
        /** min plus an exponential tail with mean (max - min) / 4, cut at max: mostly fast, a few slow paths. */
        EXPONENTIAL
    }

    /**
     * Network conditions: one-way latency in [{@code latencyMinMs}, {@code latencyMaxMs}] drawn from
     * {@code distribution}, each message (request or answer) lost with probability {@code loss}, and the transport's
     * RPC timeout. The minimum latency is also the simulator's lookahead window.
     */
    public record Conditions(long latencyMinMs, long latencyMaxMs, double loss, Duration rpcTimeout,
                             LatencyDistribution distribution) {
        public Conditions {
            if (latencyMinMs < 0 || latencyMaxMs < latencyMinMs) {
                throw new IllegalArgumentException("latency range " + latencyMinMs + ".." + latencyMaxMs);
            }
            if (loss < 0 || loss >= 1) {
                throw new IllegalArgumentException("loss must be in [0, 1), got " + loss);
            }
            Objects.requireNonNull(rpcTimeout, "rpcTimeout");
            Objects.requireNonNull(distribution, "distribution");
        }

        public Conditions(long latencyMinMs, long latencyMaxMs, double loss, Duration rpcTimeout) {
            this(latencyMinMs, latencyMaxMs, loss, rpcTimeout, LatencyDistribution.UNIFORM);
        }

        /** 10..100 ms one way, uniform, no loss, 1 s timeout. */
        public static Conditions defaults() {
            return new Conditions(10, 100, 0, Duration.ofSeconds(1));
        }
    }

    private static final int SYBIL_POOL = 512;

    private final SimTime time;
    private final Conditions conditions;
    /** One random generator per partition, used only by that partition's thread (or the driver between windows). */
    private final SplittableRandom[] randoms;
    private final long seed;
    private final List<SimNode> nodes = new ArrayList<>();
    private final Map<NodeId, SimNode> byId = new HashMap<>();
    private final Map<Endpoint, SimNode> byEndpoint = new HashMap<>();
    private final Set<SignedPeerRecord> verified = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<SignedPeerRecord> forged = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean partitioned;
    private List<Contact> sybils;
    private java.util.function.BiPredicate<SimNode, SimNode> killAfterPex = (from, to) -> false;
    /** Counters per partition, summed when read. */
    private final long[][] counters;
    private static final int MESSAGES = Kind.values().length;
    private static final int FAILED = MESSAGES + 1;
    private static final int DROPPED = MESSAGES + 2;

    /** Message kinds, for the counters. */
    public enum Kind { PING, FIND_NODE, FIND_VALUE, STORE, ADD_PROVIDER, GET_PROVIDERS, EXCHANGE_PEERS }

    public SimNetwork(SimTime time, Conditions conditions, long seed) {
        this.time = Objects.requireNonNull(time, "time");
        this.conditions = Objects.requireNonNull(conditions, "conditions");
        this.seed = seed;
        randoms = new SplittableRandom[time.partitions()];
        counters = new long[time.partitions()][DROPPED + 1];
        for (int i = 0; i < randoms.length; i++) {
            randoms[i] = new SplittableRandom(SimNode.mix(seed, -1 - i));
        }
    }

    public SimTime time() {
        return time;
    }

    public Conditions conditions() {
        return conditions;
    }

    /**
     * Adds a node (not started). Its record counts as verified if {@code recordVerified} (the caller checked it,
     * e.g. in parallel), else it is verified here.
     */
    public SimNode add(SimNode node, boolean recordVerified) {
        if (byId.containsKey(node.id()) || byEndpoint.containsKey(node.contact().endpoint())) {
            throw new IllegalArgumentException("duplicate node or address: " + node);
        }
        if (!recordVerified) {
            try {
                node.contact().record().verify();
            } catch (InvalidRecordException e) {
                throw new IllegalArgumentException("node " + node + " has an invalid record", e);
            }
        }
        verified.add(node.contact().record());
        node.partition = node.index() % time.partitions();
        nodes.add(node);
        byId.put(node.id(), node);
        byEndpoint.put(node.contact().endpoint(), node);
        return node;
    }

    /** Whether an address is already taken (callers pick another). */
    public boolean hasEndpoint(Endpoint e) {
        return byEndpoint.containsKey(e);
    }

    public List<SimNode> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    public SimNode node(NodeId id) {
        return byId.get(id);
    }

    /** Starts (or restarts, with a fresh core) {@code node} with {@code settings}; returns its join future. */
    public CompletableFuture<Void> start(SimNode node, DhtSettings settings) {
        return start(node, settings, null);
    }

    /**
     * Restarts {@code node} with a fresh core that first restores {@code saved} (as a service does after a restart),
     * then starts.
     */
    public CompletableFuture<Void> start(SimNode node, DhtSettings settings, dev.p2psuite.dht.core.DhtSnapshot saved) {
        if (node.node != null) {
            node.node.close();
        }
        EventLoop loop = time.loop(node.partition);
        node.node = new DhtNode(node.contact(), node.key(), settings, new Rpc(node), loop, Runnable::run, loop,
                new SplittableRandom(node.seed() ^ loop.millis()));
        node.alive = true;
        if (saved != null) {
            node.node.restore(saved);
        }
        return node.node.start();
    }

    /** Kills {@code node} without notice: it stops answering and its timers stop. */
    public void kill(SimNode node) {
        node.alive = false;
        if (node.node != null) {
            node.node.close();
        }
    }

    /** Splits the network: nodes for which {@code sideA} holds cannot talk to the others until {@link #heal()}. */
    public void partition(Predicate<SimNode> sideA) {
        for (SimNode n : nodes) {
            n.side = sideA.test(n) ? 0 : 1;
        }
        partitioned = true;
    }

    public void heal() {
        partitioned = false;
    }

    /**
     * Test hook: a node dies right after answering an ExchangePeers when {@code which} holds for (caller, node).
     * The kill happens on the node's own partition, like any of its events.
     */
    public void killAfterServingPex(java.util.function.BiPredicate<SimNode, SimNode> which) {
        this.killAfterPex = which;
    }

    private long sum(int counter) {
        long n = 0;
        for (long[] c : counters) {
            n += c[counter];
        }
        return n;
    }

    /** Requests sent. */
    public long messages() {
        long n = 0;
        for (Kind k : Kind.values()) {
            n += sum(k.ordinal());
        }
        return n;
    }

    /** Requests sent, by kind. */
    public long messages(Kind kind) {
        return sum(kind.ordinal());
    }

    /** Requests that failed in the network (dead, partitioned, unknown or lost). */
    public long failedMessages() {
        return sum(FAILED);
    }

    /** Peer records dropped at the boundary because they did not verify. */
    public long droppedRecords() {
        return sum(DROPPED);
    }

    private long latency(int partition) {
        long span = conditions.latencyMaxMs() - conditions.latencyMinMs();
        if (span == 0) {
            return conditions.latencyMinMs();
        }
        SplittableRandom r = randoms[partition];
        long extra = switch (conditions.distribution()) {
            case UNIFORM -> r.nextLong(span + 1);
            case EXPONENTIAL -> Math.min(span, (long) (-Math.log(1 - r.nextDouble()) * span / 4.0));
        };
        return conditions.latencyMinMs() + extra;
    }

    private boolean lost(int partition) {
        return conditions.loss() > 0 && randoms[partition].nextDouble() < conditions.loss();
    }

    /** Fails {@code out} (a future of partition {@code owner}) at {@code at}; called from partition {@code here}. */
    private <T> void failAt(int here, int owner, CompletableFuture<T> out, long at, String why) {
        counters[here][FAILED]++;
        time.post(here, owner, at, () -> out.completeExceptionally(new TimeoutException(why)));
    }

    /**
     * One RPC. The request leaves on the caller's partition and is delivered on the target's; the answer comes back
     * on the caller's. Whether the target is alive is read only on its own partition, when the request arrives,
     * so that runs do not depend on thread timing.
     */
    private <T> CompletableFuture<T> call(Kind kind, SimNode from, SimNode target,
                                          Function<SimNode, CompletableFuture<T>> serve, Function<T, T> boundary) {
        int fp = from.partition;
        counters[fp][kind.ordinal()]++;
        CompletableFuture<T> out = new CompletableFuture<>();
        long timeout = conditions.rpcTimeout().toMillis();
        long sent = time.loop(fp).millis();
        if (target == null || (partitioned && from.side != target.side) || lost(fp)) {
            failAt(fp, fp, out, sent + timeout, "no answer");
            return out;
        }
        long there = latency(fp);
        int tp = target.partition;
        time.post(fp, tp, sent + there, () -> {
            if (!target.alive) {
                failAt(tp, fp, out, sent + timeout, "no answer");
                return;
            }
            CompletableFuture<T> answer;
            try {
                answer = serve.apply(target);
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            answer.whenComplete((v, e) -> {
                long back = latency(tp);
                if (lost(tp) || there + back > timeout) {
                    failAt(tp, fp, out, sent + timeout, "answer lost");
                    return;
                }
                time.post(tp, fp, sent + there + back, () -> {
                    if (!from.alive) {
                        return;
                    }
                    if (e != null) {
                        out.completeExceptionally(e);
                    } else {
                        out.complete(target.behaviour == SimNode.Behaviour.HONEST ? v : boundary.apply(v));
                    }
                });
            });
        });
        return out;
    }

    // -------------------------------------------------------------------------------------------------------------
    // The trust boundary (what a gRPC adapter does with incoming records)

    /** Whether {@code c}'s signed record verifies and names {@code c}'s ID. */
    public synchronized boolean verify(Contact c) {
        SignedPeerRecord r = c.record();
        if (!c.id().equals(r.nodeId())) {
            return false;
        }
        if (verified.contains(r)) {
            return true;
        }
        if (forged.contains(r)) {
            return false;
        }
        try {
            r.verify();
            verified.add(r);
            return true;
        } catch (InvalidRecordException e) {
            forged.add(r);
            return false;
        }
    }

    private List<Contact> verified(int partition, List<Contact> contacts) {
        List<Contact> out = null;
        for (int i = 0; i < contacts.size(); i++) {
            Contact c = contacts.get(i);
            if (!verify(c)) {
                counters[partition][DROPPED]++;
                if (out == null) {
                    out = new ArrayList<>(contacts.subList(0, i));
                }
            } else if (out != null) {
                out.add(c);
            }
        }
        return out == null ? contacts : out;
    }

    // -------------------------------------------------------------------------------------------------------------
    // Lying nodes

    /** Validly signed records of nodes that do not exist: they never answer. */
    private synchronized List<Contact> sybils() {
        if (sybils == null) {
            SplittableRandom r = new SplittableRandom(SimNode.mix(seed, -2));
            sybils = new ArrayList<>(SYBIL_POOL);
            for (int i = 0; i < SYBIL_POOL; i++) {
                byte[] secret = new byte[NodeKey.PRIVATE_KEY_BYTES];
                r.nextBytes(secret);
                NodeKey k = NodeKey.fromPrivateKey(secret);
                String host = "200." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));
                sybils.add(Contact.of(SignedPeerRecord.sign(k, 1, List.of(Candidate.host(host, SimNode.PORT)))));
            }
        }
        return sybils;
    }

    /** A forged record claiming an ID right next to {@code target}: its ID is not the hash of its key. */
    private static Contact forgedNear(NodeId target, Contact donor, int salt) {
        byte[] id = target.bytes();
        id[NodeId.LENGTH_BYTES - 1] ^= (byte) (1 + salt);
        PeerRecord real = donor.record().record();
        PeerRecord claim = new PeerRecord(NodeId.of(id), real.publicKey(), real.seq(), real.candidates());
        return Contact.of(new SignedPeerRecord(claim, donor.record().signature()));
    }

    private List<Contact> bogusCloser(SimNode liar, NodeId target) {
        List<Contact> pool = new ArrayList<>(sybils());
        pool.sort((a, b) -> NodeId.byDistanceTo(target).compare(a.id(), b.id()));
        List<Contact> out = new ArrayList<>(pool.subList(0, 15));
        for (int i = 0; i < 5; i++) {
            out.add(forgedNear(target, liar.contact(), i));
        }
        return out;
    }

    private static ValueRecord forgedValue(SimNode liar, NodeId key, ValueRecord genuine) {
        if (genuine != null) {
            // The genuine record with its value altered: the signature no longer matches.
            return new ValueRecord(key, "forged".getBytes(), genuine.publisher(), genuine.seq() + 1,
                    genuine.expiresAtUnixMs(), genuine.signature());
        }
        byte[] badSignature = new byte[NodeKey.SIGNATURE_BYTES];
        return new ValueRecord(key, "forged".getBytes(), liar.contact().record(), Long.MAX_VALUE,
                EventLoop.EPOCH_MS + Duration.ofDays(365).toMillis(), badSignature);
    }

    // -------------------------------------------------------------------------------------------------------------

    /** One node's view of the network. */
    private final class Rpc implements PeerRpc {
        private final SimNode from;

        Rpc(SimNode from) {
            this.from = from;
        }

        private SimNode target(Contact peer) {
            SimNode t = byId.get(peer.id());
            // A contact whose address is not the node's (a forged or stale record) reaches nobody.
            return t != null && t.contact().endpoint().equals(peer.endpoint()) ? t : null;
        }

        @Override
        public CompletableFuture<Contact> ping(Contact peer) {
            return call(Kind.PING, from, target(peer), t -> t.node.onPing(from.contact()), c -> verify(c) ? c : null);
        }

        @Override
        public CompletableFuture<Contact> pingAddress(Endpoint endpoint) {
            return call(Kind.PING, from, byEndpoint.get(endpoint), t -> t.node.onPing(from.contact()),
                    c -> verify(c) ? c : null);
        }

        @Override
        public CompletableFuture<List<Contact>> findNode(Contact peer, NodeId target) {
            return call(Kind.FIND_NODE, from, target(peer), t -> {
                CompletableFuture<List<Contact>> honest = t.node.onFindNode(from.contact(), target);
                if (t.behaviour == SimNode.Behaviour.BOGUS_CONTACTS) {
                    return CompletableFuture.completedFuture(bogusCloser(t, target));
                }
                return honest;
            }, v -> verified(from.partition, v));
        }

        @Override
        public CompletableFuture<FoundValue> findValue(Contact peer, NodeId key) {
            return call(Kind.FIND_VALUE, from, target(peer), t -> {
                CompletableFuture<FoundValue> honest = t.node.onFindValue(from.contact(), key);
                return switch (t.behaviour) {
                    case HONEST -> honest;
                    case BOGUS_CONTACTS -> CompletableFuture.completedFuture(new FoundValue(null, bogusCloser(t, key)));
                    case FORGED_RECORDS -> honest.thenApply(h -> new FoundValue(forgedValue(t, key, h.record()),
                            List.of()));
                };
            }, v -> new FoundValue(v.record(), verified(from.partition, v.closer())));
        }

        @Override
        public CompletableFuture<StoreOutcome> store(Contact peer, ValueRecord record) {
            return call(Kind.STORE, from, target(peer), t -> t.node.onStore(from.contact(), record),
                    Function.identity());
        }

        @Override
        public CompletableFuture<Boolean> addProvider(Contact peer, NodeId key, Contact provider, long ttlSeconds) {
            return call(Kind.ADD_PROVIDER, from, target(peer),
                    t -> t.node.onAddProvider(from.contact(), key, provider, ttlSeconds),
                    Function.identity());
        }

        @Override
        public CompletableFuture<FoundProviders> getProviders(Contact peer, NodeId key) {
            return call(Kind.GET_PROVIDERS, from, target(peer), t -> {
                CompletableFuture<FoundProviders> honest = t.node.onGetProviders(from.contact(), key);
                if (t.behaviour == SimNode.Behaviour.BOGUS_CONTACTS) {
                    return CompletableFuture.completedFuture(new FoundProviders(List.of(), bogusCloser(t, key)));
                }
                return honest;
            }, v -> new FoundProviders(verified(from.partition, v.providers()), verified(from.partition, v.closer())));
        }

        @Override
        public CompletableFuture<List<Contact>> exchangePeers(Contact peer, List<Contact> alive) {
            List<Contact> sent = from.behaviour == SimNode.Behaviour.HONEST ? alive : verified(from.partition, alive);
            return call(Kind.EXCHANGE_PEERS, from, target(peer), t -> {
                CompletableFuture<List<Contact>> honest = t.node.onExchangePeers(from.contact(), sent);
                if (killAfterPex.test(from, t)) {
                    kill(t);
                }
                if (t.behaviour == SimNode.Behaviour.FORGED_RECORDS) {
                    List<Contact> lies = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        lies.add(forgedNear(NodeId.random(randoms[t.partition]), t.contact(), i));
                    }
                    return CompletableFuture.completedFuture(lies);
                }
                return honest;
            }, v -> verified(from.partition, v));
        }
    }
}
