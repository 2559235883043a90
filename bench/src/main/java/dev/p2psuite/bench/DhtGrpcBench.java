package dev.p2psuite.bench;

import dev.p2psuite.dht.DhtPeerGrpcService;
import dev.p2psuite.dht.GrpcPeerRpc;
import dev.p2psuite.dht.RunningDht;
import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.DhtSettings;
import dev.p2psuite.dht.core.Endpoint;
import dev.p2psuite.dht.core.Scheduler;
import dev.p2psuite.grpc.PeerAuthService;
import dev.p2psuite.grpc.PeerSessionInterceptor;
import dev.p2psuite.grpc.WireLimits;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerAuthenticator;
import dev.p2psuite.identity.PeerRecordBook;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.dht.v1.DhtPeerGrpc;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * bench/dht-grpc: N DHT nodes as real gRPC servers on loopback, each running dht-service's own peer code
 * (DhtPeer handlers, {@link GrpcPeerRpc} with the signed-challenge handshake and session tokens, the core
 * {@link DhtNode}). Each node serves PeerAuth and DhtPeer itself, as a gateway-less node would, so a lookup
 * RPC costs one gRPC hop; in a full node the gateway adds one forwarding hop per inbound RPC.
 * After joining, every node opens sessions with its routing-table contacts (the steady state of a running
 * node) and 300 put/get pairs warm the JIT; then P values are stored from random nodes and each is read from
 * another random node, sequentially.
 * Last line: {@code nodes= puts= gets= found= get_p50_ms= get_p95_ms= put_p50_ms=}.
 */
public final class DhtGrpcBench {

    private record Node(NodeKey key, Server server, DhtNode dht, GrpcPeerRpc rpc, ScheduledExecutorService thread) {
    }

    public static void main(String[] args) throws Exception {
        int nodes = 100;
        int puts = 1000;
        long seed = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--nodes" -> nodes = Integer.parseInt(args[++i]);
                case "--puts" -> puts = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                default -> {
                    System.err.println("usage: bench/dht-grpc [--nodes N] [--puts P] [--seed S]");
                    System.exit(2);
                }
            }
        }
        if (nodes < 2 || puts < 1) {
            System.err.println("--nodes must be at least 2 and --puts at least 1");
            System.exit(2);
        }
        SplittableRandom random = new SplittableRandom(seed);
        SecureRandom secure = new SecureRandom();
        List<Node> network = new ArrayList<>();
        Endpoint bootstrap = null;
        long t0 = System.nanoTime();
        for (int i = 0; i < nodes; i++) {
            Node node = start(secure, bootstrap);
            network.add(node);
            if (bootstrap == null) {
                bootstrap = new Endpoint("127.0.0.1", node.server().getPort());
            }
        }
        // Join: every node bootstraps (self-lookup, refresh) through node 0, a few at a time.
        List<CompletableFuture<Void>> joins = new ArrayList<>();
        for (Node n : network) {
            joins.add(n.dht().start());
            if (joins.size() % 10 == 0) {
                CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            }
        }
        CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        // A second self-lookup now that everyone is in, so early joiners learn of later ones (Kademlia §2.3).
        List<CompletableFuture<?>> settle = new ArrayList<>();
        for (Node n : network) {
            settle.add(n.dht().findNode(n.dht().id()));
        }
        CompletableFuture.allOf(settle.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        System.err.printf("%d nodes up and joined in %.1f s%n", nodes, (System.nanoTime() - t0) / 1e9);
        // Steady state: a running node holds sessions with the contacts in its routing table (it pings them on
        // refresh); open them now so that handshakes are not what the measured lookups time.
        List<CompletableFuture<?>> pings = new ArrayList<>();
        for (Node n : network) {
            for (var bucket : n.dht().routingTable(false).get(30, TimeUnit.SECONDS)) {
                for (var entry : bucket.contacts()) {
                    pings.add(n.rpc().ping(entry.contact()).exceptionally(e -> null));
                }
            }
        }
        CompletableFuture.allOf(pings.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        System.err.printf("%d sessions opened%n", pings.size());

        // Warm-up (JIT, connections), not measured.
        runRound(network, Math.min(300, puts), random, null, null, null);
        double[] putMs = new double[puts];
        double[] getMs = new double[puts];
        double[] getMsgs = new double[puts];
        int found = runRound(network, puts, random, putMs, getMs, getMsgs);
        Arrays.sort(putMs);
        Arrays.sort(getMs);
        Arrays.sort(getMsgs);
        long local = Arrays.stream(getMsgs).filter(m -> m == 0).count();
        for (Node n : network) {
            n.dht().close();
            n.rpc().close();
            n.server().shutdownNow();
            n.thread().shutdownNow();
        }
        System.out.printf("nodes=%d puts=%d gets=%d found=%d get_p50_ms=%.3f get_p95_ms=%.3f put_p50_ms=%.3f"
                        + " put_p95_ms=%.3f get_p99_ms=%.3f get_local=%d get_msgs_p50=%.0f get_msgs_p95=%.0f%n",
                nodes, puts, puts, found, pct(getMs, 50), pct(getMs, 95), pct(putMs, 50), pct(putMs, 95),
                pct(getMs, 99), local, pct(getMsgs, 50), pct(getMsgs, 95));
    }

    /** Puts {@code count} values from random nodes and gets each from another; returns how many were found. */
    private static int runRound(List<Node> network, int count, SplittableRandom random, double[] putMs,
                                double[] getMs, double[] getMsgs) throws Exception {
        int found = 0;
        byte[] value = new byte[64];
        for (int i = 0; i < count; i++) {
            Node putter = network.get(random.nextInt(network.size()));
            Node getter;
            do {
                getter = network.get(random.nextInt(network.size()));
            } while (getter == putter);
            NodeId key = NodeId.random(random);
            random.nextBytes(value);
            long a = System.nanoTime();
            putter.dht().put(key, value, Duration.ofHours(1)).get(30, TimeUnit.SECONDS);
            long b = System.nanoTime();
            DhtNode.GetResult got = getter.dht().get(key).get(30, TimeUnit.SECONDS);
            long c = System.nanoTime();
            if (got.found() && Arrays.equals(got.record().value(), value)) {
                found++;
            }
            if (putMs != null) {
                putMs[i] = (b - a) / 1e6;
                getMs[i] = (c - b) / 1e6;
                getMsgs[i] = got.peersQueried();
            }
        }
        return found;
    }

    private static Node start(SecureRandom secure, Endpoint bootstrap) throws Exception {
        NodeKey key = NodeKey.generate(secure);
        PeerRecordBook book = new PeerRecordBook(10_000);
        NodeHolder holder = new NodeHolder(book);
        // The server needs the record for the handshake, the record needs the port: bind first, fill in after.
        SignedPeerRecord[] record = new SignedPeerRecord[1];
        PeerAuthenticator authenticator = new PeerAuthenticator(key, () -> record[0], book, InstantSource.system(), secure);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .directExecutor() // every handler hands off to its node's own thread at once
                .maxInboundMessageSize(WireLimits.MAX_MESSAGE_BYTES)
                .addService(new PeerAuthService(authenticator))
                .addService(ServerInterceptors.intercept(DhtPeerGrpc.bindService(new DhtPeerGrpcService.Handlers(holder)),
                        new PeerSessionInterceptor(authenticator, book, Set.of(DhtPeerGrpc.SERVICE_NAME))))
                .build().start();
        record[0] = SignedPeerRecord.sign(key, System.currentTimeMillis(),
                List.of(Candidate.host("127.0.0.1", server.getPort())));
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
        DhtSettings.Builder settings = DhtSettings.builder().requestTimeout(Duration.ofSeconds(2));
        settings = bootstrap == null ? settings.standalone(true) : settings.bootstrapEndpoints(List.of(bootstrap));
        GrpcPeerRpc rpc = new GrpcPeerRpc(key, () -> record[0], book, InstantSource.system(), secure, Duration.ofSeconds(2));
        DhtNode dht = new DhtNode(Contact.of(record[0]), key, settings.build(), rpc, Scheduler.of(thread), thread,
                InstantSource.system(), RandomGenerator.of("L64X128MixRandom"));
        holder.node = dht;
        return new Node(key, server, dht, rpc, thread);
    }

    private static final class NodeHolder implements RunningDht {
        private final PeerRecordBook book;
        volatile DhtNode node;

        NodeHolder(PeerRecordBook book) {
            this.book = book;
        }

        @Override
        public DhtNode require() {
            return node;
        }

        @Override
        public PeerRecordBook peers() {
            return book;
        }
    }

    private static double pct(double[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
