package dev.p2psuite.dht.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.DhtSettings;
import dev.p2psuite.dht.core.Kademlia;
import dev.p2psuite.dht.core.Lookup;
import dev.p2psuite.dht.core.RoutingTable;
import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real core on a few hundred simulated nodes: churn, partitions, liars, PEX, determinism. */
class SimulationTest {

    private static final long WAIT_MS = 30 * 60_000L;
    /** Intervals shortened so that recovery takes minutes of virtual time. */
    private static final Duration INTERVAL = Duration.ofMinutes(10);
    private static final DhtSettings SETTINGS = DhtSettings.builder()
            .requestTimeout(Duration.ofSeconds(1))
            .refreshInterval(INTERVAL)
            .valueRepublishInterval(INTERVAL)
            .build();

    private SimCluster cluster;

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private SimCluster network(int n, long seed) {
        return network(n, seed, SimNetwork.Conditions.defaults());
    }

    private SimCluster network(int n, long seed, SimNetwork.Conditions conditions) {
        cluster = new SimCluster(n, seed, conditions, SETTINGS);
        assertThat(cluster.joinAll(SimCluster.DEFAULT_MAX_JOIN_BATCH, null)).as("join failures").isZero();
        return cluster;
    }

    private static double exactShare(List<SimCluster.LookupSample> samples) {
        return samples.stream().filter(SimCluster.LookupSample::exact).count() / (double) samples.size();
    }

    /** Puts {@code n} values from random nodes; returns their keys (value = key bytes). */
    private List<NodeId> putValues(int n) {
        List<NodeId> keys = new ArrayList<>();
        List<CompletableFuture<DhtNode.PutResult>> puts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            NodeId key = NodeId.random(cluster.random());
            keys.add(key);
            puts.add(honestAlive().node().put(key, key.bytes(), Duration.ofHours(2)));
        }
        assertThat(cluster.await(puts, WAIT_MS)).allSatisfy(r -> assertThat(r.storedCount()).isPositive());
        return keys;
    }

    private SimNode honestAlive() {
        SimNode n = cluster.randomAlive();
        while (n.behaviour() != SimNode.Behaviour.HONEST) {
            n = cluster.randomAlive();
        }
        return n;
    }

    /** Share of {@code keys} an honest alive node gets back with the right value. */
    private double getShare(List<NodeId> keys) {
        List<CompletableFuture<DhtNode.GetResult>> gets = new ArrayList<>();
        for (NodeId key : keys) {
            gets.add(honestAlive().node().get(key));
        }
        List<DhtNode.GetResult> got = cluster.await(gets, WAIT_MS);
        int ok = 0;
        for (int i = 0; i < keys.size(); i++) {
            DhtNode.GetResult r = got.get(i);
            if (r != null && r.found() && Arrays.equals(r.record().value(), keys.get(i).bytes())) {
                ok++;
            }
        }
        return ok / (double) keys.size();
    }

    @Test
    void lookupsInAFewHundredNodesReturnTheTrueKClosest() {
        network(300, 1);
        List<SimCluster.LookupSample> samples = cluster.lookups(200, Kademlia.K);
        assertThat(exactShare(samples)).isEqualTo(1.0);
        assertThat(samples).allSatisfy(s -> assertThat(s.rounds()).isBetween(1, 6));
    }

    @Test
    void valuesSurviveHalfTheNodesDyingAtOnceAndLookupsRecover() {
        network(300, 2);
        List<NodeId> keys = putValues(40);
        assertThat(getShare(keys)).isEqualTo(1.0);
        List<SimNode> alive = cluster.alive();
        for (int i = 0; i < alive.size(); i += 2) {
            cluster.network().kill(alive.get(i));
        }
        cluster.time().runFor(INTERVAL.multipliedBy(3).dividedBy(2));
        assertThat(getShare(keys)).isEqualTo(1.0);
        // Republishing re-replicated each value onto the new k closest alive nodes.
        for (NodeId key : keys) {
            long holders = cluster.trueClosest(key, Kademlia.K, null).stream()
                    .map(id -> cluster.network().node(id).node())
                    .filter(d -> cluster.await(d.onFindValue(null, key), WAIT_MS).record() != null).count();
            assertThat(holders).as("holders of %s among the k closest alive", key).isGreaterThanOrEqualTo(15);
        }
        assertThat(exactShare(cluster.lookups(100, Kademlia.K))).isGreaterThanOrEqualTo(0.97);
    }

    @Test
    void valuesSurviveContinuousChurnAndRejoiningNodesBecomeUseful() {
        network(300, 12, new SimNetwork.Conditions(10, 150, 0, Duration.ofSeconds(1),
                SimNetwork.LatencyDistribution.EXPONENTIAL));
        List<NodeId> keys = putValues(30);
        int died = cluster.churn(0.02, Duration.ofMinutes(30));
        assertThat(died).isGreaterThan(150);  // about half the network turned over
        assertThat(getShare(keys)).isEqualTo(1.0);
        assertThat(exactShare(cluster.lookups(100, Kademlia.K))).isGreaterThanOrEqualTo(0.9);
    }

    @Test
    void partitionedHalvesServeTheirOwnSideAndConvergeAgainAfterTheHeal() {
        network(300, 3);
        cluster.network().partition(n -> n.index() % 2 == 0);
        cluster.time().runFor(INTERVAL.multipliedBy(2));
        // Inside the partition every lookup finds the closest nodes of its own side.
        for (int i = 0; i < 40; i++) {
            SimNode from = cluster.randomAlive();
            NodeId target = NodeId.random(cluster.random());
            Lookup.Result r = cluster.await(from.node().findNode(target), WAIT_MS);
            assertThat(r.closest()).allSatisfy(c -> assertThat(cluster.network().node(c.id()).side())
                    .isEqualTo(from.side()));
        }
        cluster.network().heal();
        cluster.time().runFor(INTERVAL.multipliedBy(3));
        assertThat(exactShare(cluster.lookups(150, Kademlia.K))).isGreaterThanOrEqualTo(0.97);
    }

    @Test
    void lyingNodesWithBogusCloserContactsDoNotDivertLookups() {
        network(300, 4);
        for (int i = 0; i < 30; i++) {
            cluster.nodes().get(10 * i + 5).behaviour(SimNode.Behaviour.BOGUS_CONTACTS);
        }
        List<SimCluster.LookupSample> samples = cluster.lookups(150, Kademlia.K);
        assertThat(exactShare(samples)).isGreaterThanOrEqualTo(0.97);
        assertThat(cluster.network().droppedRecords()).as("forged records dropped at the boundary").isPositive();
        // Sybil contacts never answer, so they never enter a routing table.
        for (SimNode n : cluster.nodes()) {
            for (RoutingTable.BucketSnapshot b : cluster.await(n.node().routingTable(false), WAIT_MS)) {
                for (RoutingTable.Entry e : b.contacts()) {
                    assertThat(cluster.network().node(e.contact().id())).isNotNull();
                }
            }
        }
    }

    @Test
    void forgedValueRecordsAreRejectedAndTheGenuineValueIsFound() {
        network(300, 5);
        List<NodeId> keys = putValues(30);
        for (int i = 0; i < 45; i++) {
            cluster.nodes().get(6 * i + 1).behaviour(SimNode.Behaviour.FORGED_RECORDS);
        }
        assertThat(getShare(keys)).isEqualTo(1.0);
        long rejected = cluster.nodes().stream().mapToLong(n -> n.node().stats().recordsRejected()).sum();
        assertThat(rejected).as("forged records rejected by the getters' verification").isPositive();
    }

    @Test
    void forgedPexRecordsAreDroppedAndNeverReachATable() {
        network(120, 6);
        for (int i = 0; i < 12; i++) {
            cluster.nodes().get(10 * i + 3).behaviour(SimNode.Behaviour.FORGED_RECORDS);
        }
        cluster.time().runFor(Duration.ofMinutes(15));
        assertThat(cluster.network().droppedRecords()).isPositive();
        for (SimNode n : cluster.nodes()) {
            for (RoutingTable.BucketSnapshot b : cluster.await(n.node().routingTable(true), WAIT_MS)) {
                for (RoutingTable.Entry e : b.contacts()) {
                    assertThat(cluster.network().node(e.contact().id())).as("forged ID in a table").isNotNull();
                }
                for (Contact c : b.replacements()) {
                    assertThat(cluster.network().node(c.id())).as("forged ID in a cache").isNotNull();
                }
            }
        }
    }

    @Test
    void nodeWhoseOnlyBootstrapNodeDiesJoinsThroughPeersLearnedByPex() {
        cluster = new SimCluster(61, 7, SimNetwork.Conditions.defaults(), SETTINGS);
        assertThat(cluster.join(60, 50, null)).isZero();
        cluster.time().runFor(Duration.ofMinutes(2));
        SimNode bootstrap = cluster.nodes().get(20);
        SimNode newcomer = cluster.nodes().get(60);
        cluster.network().killAfterServingPex((from, to) -> from == newcomer && to == bootstrap);
        CompletableFuture<Void> joined = cluster.network().start(newcomer,
                cluster.joining(List.of(bootstrap.contact())));
        cluster.await(joined, WAIT_MS);
        assertThat(bootstrap.alive()).as("the bootstrap node died after its PEX answer").isFalse();
        assertThat(joined).isCompleted();
        assertThat(newcomer.node().ready()).isTrue();
        assertThat(newcomer.node().stats().routingTableSize()).isGreaterThan(20);
        Lookup.Result r = cluster.await(newcomer.node().findNode(NodeId.random(cluster.random())), WAIT_MS);
        assertThat(r.closest()).hasSize(Kademlia.K);
    }

    @Test
    void lossyNetworkStillServesEveryValue() {
        network(200, 8, new SimNetwork.Conditions(10, 100, 0.05, Duration.ofSeconds(1)));
        List<NodeId> keys = putValues(30);
        assertThat(getShare(keys)).isEqualTo(1.0);
        // A lost request counts as a failure (no retries, as in Kademlia), so a lookup may miss one of the true
        // k closest; what it returns are still live nodes, nearly all of them among the true closest.
        long hits = 0;
        int lookups = 50;
        for (int i = 0; i < lookups; i++) {
            SimNode from = honestAlive();
            NodeId target = NodeId.random(cluster.random());
            Lookup.Result r = cluster.await(from.node().findNode(target), WAIT_MS);
            Set<NodeId> truth = cluster.trueClosest(target, Kademlia.K, from.id());
            hits += r.closest().stream().filter(c -> truth.contains(c.id())).count();
        }
        assertThat(hits / (double) (lookups * Kademlia.K)).isGreaterThanOrEqualTo(0.85);
    }

    @Test
    void parallelWindowsGiveExactlyTheSequentialResults() {
        String sequential = fingerprint(Long.MAX_VALUE);
        String parallel = fingerprint(0);
        assertThat(parallel).isEqualTo(sequential);
        assertThat(fingerprint(0)).isEqualTo(parallel);
    }

    private static String fingerprint(long parallelThreshold) {
        SimNetwork.Conditions c = SimNetwork.Conditions.defaults();
        SimTime time = new SimTime(2, c.latencyMinMs(), parallelThreshold);
        try (SimCluster sim = new SimCluster(150, 9, c, SETTINGS, time)) {
            sim.joinAll(50, null);
            List<SimCluster.LookupSample> samples = sim.lookups(50, Kademlia.K);
            sim.time().runFor(Duration.ofMinutes(5));
            return samples + " messages=" + sim.network().messages() + " events=" + sim.time().executed()
                    + " t=" + sim.time().millis();
        }
    }

    @Test
    void simulationPrintsItsSummaryAsTheSameKeyValueLineForTheSameSeed() {
        DhtSimulation.Options o = DhtSimulation.parse(new String[] {"--nodes", "200", "--seed", "11", "--lookups",
            "50", "--values", "20", "--refresh-s", "600", "--republish-s", "600"});
        DhtSimulation.Report first = DhtSimulation.run(o, s -> { });
        DhtSimulation.Report second = DhtSimulation.run(o, s -> { });
        assertThat(first.line()).matches("nodes=200 lookups=50 exact_k=\\d\\.\\d{3} rounds_p50=\\d+ rounds_p99=\\d+"
                + " msgs_p50=\\d+ value_success=\\d\\.\\d{3} value_success_after_churn=\\d\\.\\d{3} .*");
        assertThat(first.exactK()).isEqualTo(1.0);
        assertThat(first.valueSuccess()).isEqualTo(1.0);
        assertThat(first.valueSuccessAfterChurn()).isEqualTo(1.0);
        assertThat(withoutWallTime(second.line())).isEqualTo(withoutWallTime(first.line()));
    }

    private static String withoutWallTime(String line) {
        return line.replaceAll(" wall_s=[0-9.]+", "");
    }

    @Test
    void eventsAtTheSameMillisecondRunInSchedulingOrderAcrossTheWheelAndTheFarQueue() {
        EventLoop loop = new EventLoop();
        List<Integer> order = new ArrayList<>();
        long at = loop.millis() + 100_000;  // beyond the wheel: starts in the far queue
        loop.scheduleAt(at, () -> order.add(1));
        loop.scheduleAt(at, () -> order.add(2));
        loop.scheduleMs(99_999, () -> loop.scheduleMs(1, () -> order.add(3)));
        loop.scheduleMs(5, () -> order.add(0));
        loop.runBefore(at + 1);
        assertThat(order).containsExactly(0, 1, 2, 3);
        Set<Integer> none = new HashSet<>();
        loop.scheduleMs(10, () -> none.add(1)).cancel();
        loop.runBefore(loop.millis() + 20);
        assertThat(none).isEmpty();
    }
}
