package dev.p2psuite.dht.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.dht.sim.SimCluster;
import dev.p2psuite.dht.sim.SimNetwork;
import dev.p2psuite.dht.sim.SimNode;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** DhtNode over a small in-memory network (the simulator's, in virtual time) and against direct inbound calls. */
class DhtNodeTest {

    private static final long WAIT_MS = 10 * 60_000L;
    private static final DhtSettings FAST = DhtSettings.builder()
            .requestTimeout(Duration.ofSeconds(1))
            .refreshInterval(Duration.ofMinutes(1))
            .valueRepublishInterval(Duration.ofMinutes(5))
            .build();

    private SimCluster cluster;

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private SimCluster network(int n, long seed, DhtSettings settings) {
        cluster = new SimCluster(n, seed, SimNetwork.Conditions.defaults(), settings, 1);
        assertThat(cluster.joinAll(50, null)).isZero();
        return cluster;
    }

    private <T> T await(CompletableFuture<T> f) {
        cluster.await(f, WAIT_MS);
        assertThat(f).isDone();
        return f.join();
    }

    private Throwable failure(CompletableFuture<?> f) {
        cluster.await(f, WAIT_MS);
        assertThat(f).isCompletedExceptionally();
        try {
            f.join();
            throw new AssertionError("not failed");
        } catch (CompletionException e) {
            return e.getCause();
        }
    }

    private static DhtNode node(SimNode n) {
        return n.node();
    }

    @Test
    void valuePutOnOneNodeIsFoundFromAnother() {
        network(40, 1, FAST);
        NodeId key = NodeId.random(new SplittableRandom(5));
        DhtNode.PutResult put = await(node(cluster.nodes().get(3)).put(key, "hello".getBytes(), Duration.ZERO));
        assertThat(put.storedCount()).isEqualTo(Kademlia.K);
        assertThat(put.record().publisher().nodeId()).isEqualTo(cluster.nodes().get(3).id());
        DhtNode.GetResult got = await(node(cluster.nodes().get(17)).get(key));
        assertThat(got.found()).isTrue();
        assertThat(new String(got.record().value())).isEqualTo("hello");
        assertThat(got.local()).isFalse();
        assertThat(got.peersQueried()).isPositive();
    }

    @Test
    void putStoresTheValueOnTheKNodesClosestToTheKey() {
        network(60, 2, FAST);
        NodeId key = NodeId.random(new SplittableRandom(6));
        await(node(cluster.nodes().get(0)).put(key, new byte[] {1, 2, 3}, Duration.ofHours(1)));
        List<SimNode> byDistance = new ArrayList<>(cluster.nodes());
        byDistance.sort(Comparator.comparing(SimNode::id, NodeId.byDistanceTo(key)));
        for (SimNode holder : byDistance.subList(0, Kademlia.K)) {
            PeerRpc.FoundValue fv = await(node(holder).onFindValue(null, key));
            assertThat(fv.record()).as("holder %s", holder).isNotNull();
        }
    }

    @Test
    void laterPutOfTheSamePublisherReplacesTheValue() {
        network(30, 3, FAST);
        NodeId key = NodeId.random(new SplittableRandom(7));
        DhtNode publisher = node(cluster.nodes().get(1));
        DhtNode.PutResult first = await(publisher.put(key, "v1".getBytes(), Duration.ZERO));
        cluster.time().runFor(Duration.ofMillis(5));
        DhtNode.PutResult second = await(publisher.put(key, "v2".getBytes(), Duration.ZERO));
        assertThat(second.record().seq()).isGreaterThan(first.record().seq());
        assertThat(second.storedCount()).isEqualTo(Kademlia.K);
        assertThat(new String(await(node(cluster.nodes().get(9)).get(key)).record().value())).isEqualTo("v2");
    }

    @Test
    void providerAnnouncedByOneNodeIsFoundByAnother() {
        network(40, 4, FAST);
        NodeId key = NodeId.random(new SplittableRandom(8));
        SimNode provider = cluster.nodes().get(5);
        assertThat(await(node(provider).provide(key))).isEqualTo(Kademlia.K);
        DhtNode.ProvidersResult found = await(node(cluster.nodes().get(30)).findProviders(key, 0));
        assertThat(found.providers()).extracting(Contact::id).containsExactly(provider.id());
        assertThat(found.selfProvides()).isFalse();
        assertThat(await(node(provider).findProviders(key, 0)).selfProvides()).isTrue();
        assertThat(await(node(provider).unprovide(key))).isTrue();
        assertThat(await(node(provider).unprovide(key))).isFalse();
    }

    @Test
    void everyInboundRpcRefreshesItsSender() {
        network(10, 5, FAST);
        DhtNode a = node(cluster.nodes().get(0));
        List<Function<Contact, CompletableFuture<?>>> calls = List.of(
                s -> a.onPing(s),
                s -> a.onFindNode(s, NodeId.random(new SplittableRandom(1))),
                s -> a.onFindValue(s, NodeId.random(new SplittableRandom(2))),
                s -> a.onGetProviders(s, NodeId.random(new SplittableRandom(3))));
        for (Function<Contact, CompletableFuture<?>> call : calls) {
            Contact fresh = TestSupport.signedContact(TestSupport.key(100 + calls.indexOf(call)), "93.8.8."
                    + (1 + calls.indexOf(call)));
            await(call.apply(fresh));
            assertThat(await(a.closestNodes(fresh.id(), 1, true))).containsExactly(fresh);
        }
        assertThat(a.stats().rpcsReceived()).isGreaterThanOrEqualTo(calls.size());
    }

    @Test
    void findNodeNeverReturnsTheCaller() {
        network(30, 6, FAST);
        SimNode asker = cluster.nodes().get(4);
        List<Contact> answer = await(node(cluster.nodes().get(7)).onFindNode(asker.contact(), asker.id()));
        assertThat(answer).hasSize(Kademlia.K).doesNotContain(asker.contact());
    }

    @Test
    void announcingAnotherNodeAsProviderIsPermissionDenied() {
        network(5, 7, FAST);
        SimNode a = cluster.nodes().get(0);
        SimNode b = cluster.nodes().get(1);
        SimNode c = cluster.nodes().get(2);
        NodeId key = NodeId.random(new SplittableRandom(1));
        Throwable t = failure(node(a).onAddProvider(b.contact(), key, c.contact(), 0));
        assertThat(t).isInstanceOf(DhtRejection.class).hasMessageContaining("only itself");
        assertThat(((DhtRejection) t).kind()).isEqualTo(DhtRejection.Kind.PERMISSION_DENIED);
    }

    @Test
    void storeOfAForgedRecordIsInvalidArgumentAndCounted() {
        network(5, 8, FAST);
        SimNode a = cluster.nodes().get(0);
        SimNode b = cluster.nodes().get(1);
        NodeId key = NodeId.random(new SplittableRandom(3));
        ValueRecord genuine = ValueRecord.sign(b.key(), b.contact().record(), key, "x".getBytes(), 1,
                cluster.time().millis() + 60_000);
        ValueRecord forged = new ValueRecord(key, "y".getBytes(), genuine.publisher(), 1, genuine.expiresAtUnixMs(),
                genuine.signature());
        Throwable t = failure(node(a).onStore(b.contact(), forged));
        assertThat(((DhtRejection) t).kind()).isEqualTo(DhtRejection.Kind.INVALID_ARGUMENT);
        assertThat(t).hasMessageContaining("not signed");
        assertThat(node(a).stats().recordsRejected()).isEqualTo(1);
        assertThat(await(node(a).onStore(b.contact(), genuine)).kind()).isEqualTo(PeerRpc.StoreOutcome.Kind.STORED);
    }

    @Test
    void secondPexMessageWithinAMinuteIsRateLimited() {
        network(10, 9, FAST);
        DhtNode a = node(cluster.nodes().get(0));
        Contact peer = TestSupport.signedContact(TestSupport.key(55), "93.5.5.5");
        assertThat(await(a.onExchangePeers(peer, List.of()))).isNotEmpty().doesNotContain(peer);
        Throwable t = failure(a.onExchangePeers(peer, List.of()));
        assertThat(((DhtRejection) t).kind()).isEqualTo(DhtRejection.Kind.RESOURCE_EXHAUSTED);
        cluster.time().runFor(Kademlia.PEX_INTERVAL);
        assertThat(await(a.onExchangePeers(peer, List.of()))).isNotNull();
    }

    @Test
    void pexContactsEnterTheTableOnlyAfterALivenessCheck() {
        network(12, 10, FAST);
        SimNode a = cluster.nodes().get(0);
        Contact deadStranger = TestSupport.signedContact(TestSupport.key(7), "93.9.9.9");
        Contact sender = TestSupport.signedContact(TestSupport.key(8), "93.9.9.8");
        await(node(a).onExchangePeers(sender, List.of(deadStranger)));
        assertThat(await(node(a).closestNodes(deadStranger.id(), 1, true))).doesNotContain(deadStranger);
        cluster.time().runFor(Duration.ofMinutes(3));  // PEX rounds ping it: no answer, dropped
        assertThat(await(node(a).closestNodes(deadStranger.id(), 1, true))).doesNotContain(deadStranger);
        assertThat(node(a).stats().pexRecordsDropped()).isPositive();
    }

    @Test
    void standaloneNodeIsReadyAtOnce() {
        network(1, 11, FAST);
        DhtNode only = node(cluster.nodes().get(0));
        assertThat(only.ready()).isTrue();
        assertThat(only.bootstrapState()).isEqualTo(BootstrapState.STANDALONE);
        DhtNode.PutResult put = await(only.put(NodeId.random(new SplittableRandom(1)), "solo".getBytes(), null));
        assertThat(put.storedCount()).isEqualTo(1);
    }

    @Test
    void nodeWhoseBootstrapNodeIsDownRetriesAndJoinsOnceItComesUp() {
        cluster = new SimCluster(2, 12, SimNetwork.Conditions.defaults(), FAST, 1);
        SimNode first = cluster.nodes().get(0);
        SimNode late = cluster.nodes().get(1);
        CompletableFuture<Void> joined = cluster.network().start(late, cluster.joining(List.of(first.contact())));
        cluster.time().runFor(Duration.ofMinutes(2));
        assertThat(joined).isNotDone();
        assertThat(node(late).ready()).isFalse();
        assertThat(node(late).bootstrapState()).isEqualTo(BootstrapState.CONNECTING);
        assertThatThrownBy(() -> await(node(late).put(NodeId.random(new SplittableRandom(2)), new byte[1], null)))
                .isInstanceOf(CompletionException.class).hasCauseInstanceOf(DhtRejection.class);
        cluster.network().start(first, FAST.toBuilder().standalone(true).build());
        cluster.await(joined, Duration.ofMinutes(3).toMillis());
        assertThat(joined).isCompleted();
        assertThat(node(late).ready()).isTrue();
        assertThat(node(late).bootstrapState()).isEqualTo(BootstrapState.JOINED);
    }

    @Test
    void bootstrapNodesGivenAsAddressesAreDialledByAddress() {
        cluster = new SimCluster(3, 13, SimNetwork.Conditions.defaults(), FAST, 1);
        SimNode first = cluster.nodes().get(0);
        cluster.network().start(first, FAST.toBuilder().standalone(true).build());
        SimNode second = cluster.nodes().get(1);
        CompletableFuture<Void> joined = cluster.network().start(second,
                FAST.toBuilder().bootstrapEndpoints(List.of(first.contact().endpoint())).build());
        cluster.await(joined, WAIT_MS);
        assertThat(joined).isCompleted();
        assertThat(await(node(second).closestNodes(first.id(), 1, true))).containsExactly(first.contact());
    }

    @Test
    void newNodeCloserToAKeyReceivesItFromTheHolders() {
        cluster = new SimCluster(41, 14, SimNetwork.Conditions.defaults(), FAST, 1);
        assertThat(cluster.join(40, 50, null)).isZero();
        SimNode newcomer = cluster.nodes().get(40);
        // A key right next to the node that has not joined yet: once it joins it is the key's closest node.
        NodeId key = NodeId.randomWithCommonPrefix(newcomer.id(), 40, new SplittableRandom(15));
        await(node(cluster.nodes().get(0)).put(key, "replicate me".getBytes(), Duration.ofHours(2)));
        CompletableFuture<Void> joined = cluster.network().start(newcomer,
                cluster.joining(List.of(cluster.nodes().get(7).contact())));
        cluster.await(joined, WAIT_MS);
        cluster.time().runFor(Duration.ofSeconds(10));
        PeerRpc.FoundValue held = await(node(newcomer).onFindValue(null, key));
        assertThat(held.record()).isNotNull();
        assertThat(new String(held.record().value())).isEqualTo("replicate me");
    }

    @Test
    void snapshotAndRestoreKeepContactsValuesAndProviders() {
        network(20, 16, FAST);
        SimNode n = cluster.nodes().get(2);
        NodeId valueKey = NodeId.random(new SplittableRandom(1));
        NodeId providedKey = NodeId.random(new SplittableRandom(2));
        await(node(n).put(valueKey, "persist".getBytes(), Duration.ofHours(3)));
        await(node(n).provide(providedKey));
        Contact other = cluster.nodes().get(3).contact();
        await(node(n).onAddProvider(other, providedKey, other, 0));
        DhtSnapshot snap = await(node(n).snapshot());
        assertThat(snap.contacts()).hasSizeGreaterThanOrEqualTo(19 - 2);
        assertThat(snap.published()).extracting(ValueRecord::key).containsExactly(valueKey);
        assertThat(snap.providing()).containsExactly(providedKey);
        assertThat(snap.providers()).extracting(DhtSnapshot.SavedProvider::key).contains(providedKey);

        cluster.network().kill(n);
        cluster.network().start(n, FAST, snap);  // a fresh core that restores the snapshot, then starts
        assertThat(await(node(n).routingTable(false)).stream().mapToInt(b -> b.contacts().size()).sum())
                .isGreaterThanOrEqualTo(snap.contacts().size() - 2);
        assertThat(await(node(n).get(valueKey)).local()).isTrue();
        DhtSnapshot again = await(node(n).snapshot());
        assertThat(again.providing()).containsExactly(providedKey);
        assertThat(again.providers()).extracting(DhtSnapshot.SavedProvider::provider)
                .contains(cluster.nodes().get(3).contact());
    }

    @Test
    void restoreDropsForgedValues() {
        network(3, 17, FAST);
        SimNode n = cluster.nodes().get(1);
        NodeKey other = cluster.nodes().get(2).key();
        NodeId key = NodeId.random(new SplittableRandom(4));
        ValueRecord genuine = ValueRecord.sign(other, cluster.nodes().get(2).contact().record(), key, "ok".getBytes(),
                1,
                cluster.time().millis() + 600_000);
        ValueRecord forged = new ValueRecord(key, "tampered".getBytes(), genuine.publisher(), 1,
                genuine.expiresAtUnixMs(), genuine.signature());
        await(node(n).restore(new DhtSnapshot(0, List.of(), List.of(forged), List.of(), List.of(), List.of())));
        assertThat(await(node(n).onFindValue(null, key)).record()).isNull();
        assertThat(node(n).stats().recordsRejected()).isEqualTo(1);
    }

    @Test
    void oversizeValueAndTooLongTtlAreInvalidArguments() {
        network(3, 18, FAST);
        DhtNode a = node(cluster.nodes().get(0));
        NodeId key = NodeId.random(new SplittableRandom(1));
        Throwable big = failure(a.put(key, new byte[ValueRecord.MAX_VALUE_BYTES + 1], null));
        assertThat(((DhtRejection) big).kind()).isEqualTo(DhtRejection.Kind.INVALID_ARGUMENT);
        Throwable ttl = failure(a.put(key, new byte[1], Duration.ofHours(49)));
        assertThat(ttl).hasMessageContaining("ttl");
        assertThat(((DhtRejection) failure(a.findProviders(key, 101))).kind())
                .isEqualTo(DhtRejection.Kind.INVALID_ARGUMENT);
        assertThat(((DhtRejection) failure(a.closestNodes(key, 21, true))).kind())
                .isEqualTo(DhtRejection.Kind.INVALID_ARGUMENT);
    }

    @Test
    void statsAndRoutingTableDescribeTheNode() {
        network(30, 19, FAST);
        DhtNode a = node(cluster.nodes().get(5));
        DhtStats s = await(a.detailedStats());
        assertThat(s.ready()).isTrue();
        assertThat(s.routingTableSize()).isEqualTo(29);
        assertThat(s.bucketsUsed()).isPositive();
        assertThat(s.lookupsStarted()).isPositive();
        assertThat(s.rpcsSent()).isPositive();
        List<RoutingTable.BucketSnapshot> buckets = await(a.routingTable(true));
        assertThat(buckets.stream().mapToInt(b -> b.contacts().size()).sum()).isEqualTo(29);
        assertThat(buckets).allSatisfy(b -> assertThat(b.contacts()).allSatisfy(
                e -> assertThat(a.id().commonPrefixLength(e.contact().id())).isEqualTo(b.index())));
    }

    /** Nodes on real threads: each core on its own single-thread executor, RPCs completed by a pool. */
    @Test
    void nodesOnRealThreadsPutAndGetConcurrently() throws Exception {
        int n = 12;
        java.util.concurrent.ScheduledExecutorService timers = java.util.concurrent.Executors.newScheduledThreadPool(2);
        java.util.concurrent.ExecutorService network = java.util.concurrent.Executors.newFixedThreadPool(4);
        List<java.util.concurrent.ExecutorService> loops = new ArrayList<>();
        List<DhtNode> nodes = new ArrayList<>();
        java.util.Map<NodeId, DhtNode> byId = new java.util.concurrent.ConcurrentHashMap<>();
        try {
            List<Contact> contacts = new ArrayList<>();
            List<NodeKey> keys = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                NodeKey k = TestSupport.key(1000 + i);
                keys.add(k);
                contacts.add(TestSupport.signedContact(k, "127.0.0.1"));
            }
            for (int i = 0; i < n; i++) {
                Contact me = contacts.get(i);
                PeerRpc rpc = new ThreadedRpc(me, byId, network);
                java.util.concurrent.ExecutorService loop = java.util.concurrent.Executors.newSingleThreadExecutor();
                loops.add(loop);
                DhtSettings settings = FAST.toBuilder().standalone(i == 0)
                        .bootstrapContacts(i == 0 ? List.of() : List.of(contacts.get(0))).build();
                DhtNode node = new DhtNode(me, keys.get(i), settings, rpc, Scheduler.of(timers), loop,
                        java.time.Clock.systemUTC(), new SplittableRandom(i));
                nodes.add(node);
                byId.put(me.id(), node);
            }
            List<CompletableFuture<Void>> joins = new ArrayList<>();
            for (DhtNode d : nodes) {
                joins.add(d.start());
            }
            CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            List<CompletableFuture<DhtNode.PutResult>> puts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                puts.add(nodes.get(i).put(NodeId.fromPublicKey(keys.get(i).publicKey()), ("v" + i).getBytes(), null));
            }
            for (CompletableFuture<DhtNode.PutResult> p : puts) {
                assertThat(p.get(30, TimeUnit.SECONDS).storedCount()).isPositive();
            }
            for (int i = 0; i < n; i++) {
                DhtNode.GetResult got = nodes.get((i + 5) % n).get(keys.get(i).nodeId()).get(30, TimeUnit.SECONDS);
                assertThat(new String(got.record().value())).isEqualTo("v" + i);
            }
        } finally {
            for (DhtNode d : nodes) {
                d.close();
            }
            for (java.util.concurrent.ExecutorService l : loops) {
                l.shutdownNow();
            }
            timers.shutdownNow();
            network.shutdownNow();
        }
    }

    /** A PeerRpc that calls the target node's handlers from a thread pool (no serialization). */
    private record ThreadedRpc(Contact me, java.util.Map<NodeId, DhtNode> nodes,
                               java.util.concurrent.Executor pool) implements PeerRpc {

        private <T> CompletableFuture<T> hop(Contact peer, Function<DhtNode, CompletableFuture<T>> call) {
            DhtNode target = nodes.get(peer.id());
            if (target == null) {
                return CompletableFuture.failedFuture(new ExecutionException("unknown peer", null));
            }
            return CompletableFuture.supplyAsync(() -> call.apply(target), pool).thenCompose(f -> f)
                    .orTimeout(2, TimeUnit.SECONDS);
        }

        @Override
        public CompletableFuture<Contact> ping(Contact peer) {
            return hop(peer, t -> t.onPing(me));
        }

        @Override
        public CompletableFuture<List<Contact>> findNode(Contact peer, NodeId target) {
            return hop(peer, t -> t.onFindNode(me, target));
        }

        @Override
        public CompletableFuture<FoundValue> findValue(Contact peer, NodeId key) {
            return hop(peer, t -> t.onFindValue(me, key));
        }

        @Override
        public CompletableFuture<StoreOutcome> store(Contact peer, ValueRecord record) {
            return hop(peer, t -> t.onStore(me, record));
        }

        @Override
        public CompletableFuture<Boolean> addProvider(Contact peer, NodeId key, Contact provider, long ttlSeconds) {
            return hop(peer, t -> t.onAddProvider(me, key, provider, ttlSeconds));
        }

        @Override
        public CompletableFuture<FoundProviders> getProviders(Contact peer, NodeId key) {
            return hop(peer, t -> t.onGetProviders(me, key));
        }

        @Override
        public CompletableFuture<List<Contact>> exchangePeers(Contact peer, List<Contact> alive) {
            return hop(peer, t -> t.onExchangePeers(me, alive));
        }
    }
}
