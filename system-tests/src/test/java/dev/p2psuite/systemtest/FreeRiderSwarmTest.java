package dev.p2psuite.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.gateway.v1.NodeInfoRequest;
import dev.p2psuite.proto.gateway.v1.PutContentResponse;
import dev.p2psuite.proto.storage.v1.PeerTransfer;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import dev.p2psuite.proto.storage.v1.TransferStatsRequest;
import dev.p2psuite.proto.storage.v1.TransferStatsResponse;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Tit-for-tat (BEP 3) across real processes: a swarm of whole nodes started with {@code ./p2p up}, one seeder under an
 * upload limit (node 1), {@value #CONTRIBUTORS} contributing leechers, and one free rider, the last node, set not to
 * upload at all ({@code p2p.storage.exchange.serve-peers=false}, a real setting: its peers' piece requests get
 * PERMISSION_DENIED). Every leecher starts its get at the same moment; each one's finish time is measured from there.
 *
 * <p>What the nodes do, production code with only the timers and limits below set: a downloader announces itself as
 * a provider as soon as its download runs and asks the DHT again for providers every 2 s (default 30 s), so the
 * leechers find and trade with each other while downloading (rarest first beyond a 2-piece streaming window); each
 * leecher unchokes the peers that upload most to it plus one optimistic unchoke, and refuses a peer that has taken its
 * credit without giving anything back while a contributor waits. The seeder unchokes round robin, sharing its upload
 * evenly by bytes among the peers it has no evidence against: every piece request carries the requester's bitfield,
 * and a piece the seeder sent to one peer alone that shows up at another was passed on (BEP 16's super-seeding
 * signal); a peer that kept a piece from the seeder to itself for a rechoke period, while others pass theirs on, gets
 * only the optimistic slot when nobody else wants it. A contributor that finished keeps what its peers gave it while
 * it downloaded and serves the free rider the same way. Once every contributor is done, the free rider is served at
 * its full download limit (upload nobody else wants is not wasted).
 *
 * <p>Scaled down to fit the machine (2 cores for every JVM): 2 regular unchoke slots instead of 4, so that, as in a
 * large swarm, peers compete for a leecher's slots (with more slots than peers, spare slots go to whoever asks, by
 * design); rechoke every 2 s, optimistic rotation every 6 s (defaults 10 s and 30 s); a free rider's credit of one
 * piece instead of four. Every leecher has the same download limit: once the contributors are done they seed and the
 * free rider gets all they can give, so without a download limit it would catch up at loopback speed the moment they
 * finish. The content is 48 MiB (it was 16 MiB): the 3-5 s every node takes to find providers and start is then a
 * small part of the contributors' time, as it is for real contents, rather than a quarter of it.
 *
 * <p>Asserted: every leecher gets the content byte for byte; the free rider finishes at least {@value #MIN_RATIO}
 * times as late as the contributors' median (measured 1.51-1.76, see storage-service/README.md); the seeder gave it at
 * most {@value #MAX_SEEDER_SHARE} of its upload (an equal share; measured 0.10-0.16, most of it once the contributors
 * were done); the contributors' median stays within {@value #MAX_CONTRIBUTOR_SLOWDOWN} times what their download limit
 * allows (measured 1.09-1.12; 1.08-1.09 without the free rider). {@code -Dp2p.freerider.without=true}
 * runs the same swarm without the free rider and prints the contributors' median, to compare. Figures are printed as
 * {@code freerider_seconds= contributor_median_seconds= ratio=}, with what every node sent to every other and a
 * sample of every node's choke state every 2 s ({@code t=}: peer, i = interested, U/O/c = unchoked, optimistic,
 * choked, then quarter-MiB sent).
 */
class FreeRiderSwarmTest {

    static final int CONTRIBUTORS = 4;
    /** {@code -Dp2p.freerider.without=true}: the same swarm without the free rider, for the contributors' baseline. */
    static final boolean WITH_FREE_RIDER = !Boolean.getBoolean("p2p.freerider.without");
    static final int NODES = 1 + CONTRIBUTORS + (WITH_FREE_RIDER ? 1 : 0);
    static final int SEEDER = 1;
    static final int FREE_RIDER = WITH_FREE_RIDER ? NODES : -1;
    static final int SIZE = Integer.getInteger("p2p.freerider.size-mib", 48) * 1024 * 1024;
    static final long LEECHER_DOWNLOAD_LIMIT = Long.getLong("p2p.freerider.download-limit", 1024 * 1024);
    static final long SEEDER_UPLOAD_LIMIT = Long.getLong("p2p.freerider.seeder-limit", 2048 * 1024);
    static final long FREE_RIDER_CREDIT = Long.getLong("p2p.freerider.credit", 256 * 1024);
    /**
     * "Markedly later": below every measured ratio with margin. 1.5 until a run of unchanged defaults measured 1.51
     * (2026-11-26); broken tit-for-tat measured 1.14 (every download pipelining 32 pieces), well below.
     */
    static final double MIN_RATIO = 1.35;
    /** Below an equal share of the seeder (1/5 with 5 leechers). */
    static final double MAX_SEEDER_SHARE = 0.2;
    static final double MAX_CONTRIBUTOR_SLOWDOWN = 1.3;

    private final LocalNetwork network = new LocalNetwork(NODES, Integer.getInteger("p2p.freerider.base-port", 19_500));

    @AfterEach
    void stop() throws Exception {
        network.close();
    }

    @Test
    void freeRiderFinishesMarkedlyLaterAndContributorsAreNotSlowed() throws Exception {
        network.p2p("down"); // a network left over by an interrupted run
        Map<String, String> env = new HashMap<>();
        env.put("P2P_STORAGE_EXCHANGE_UNCHOKE_SLOTS", "2");
        env.put("P2P_STORAGE_EXCHANGE_RECHOKE_INTERVAL", "2s");
        env.put("P2P_STORAGE_EXCHANGE_OPTIMISTIC_INTERVAL", "6s");
        env.put("P2P_STORAGE_EXCHANGE_DOWNLOAD_LIMIT_BYTES_PER_S", Long.toString(LEECHER_DOWNLOAD_LIMIT));
        env.put("P2P_STORAGE_EXCHANGE_FREE_RIDER_CREDIT_BYTES", Long.toString(FREE_RIDER_CREDIT));
        env.put("P2P_GATEWAY_PROVIDER_REFRESH_INTERVAL", "2s");
        env.put("P2P_NODE_ENV_" + SEEDER, "P2P_STORAGE_EXCHANGE_UPLOAD_LIMIT_BYTES_PER_S=" + SEEDER_UPLOAD_LIMIT);
        if (WITH_FREE_RIDER) {
            env.put("P2P_NODE_ENV_" + FREE_RIDER, "P2P_STORAGE_EXCHANGE_SERVE_PEERS=false");
        }
        long upStart = System.nanoTime();
        LocalNetwork.Result up = network.p2p(env, "up", "--nodes", Integer.toString(NODES));
        assertThat(up.exitCode()).as("./p2p up output:\n%s", up.output()).isZero();
        System.out.printf("swarm: %d nodes ready in %.1f s%n", NODES, seconds(System.nanoTime() - upStart));

        byte[] content = new byte[SIZE];
        new SecureRandom().nextBytes(content);
        PutContentResponse put = ContentClient.put(network.channel(SEEDER, "gateway"), content, "swarm.bin");
        String id = put.getContent().getContentId();
        byte[] digest = sha256(content);

        List<Integer> leechers = new ArrayList<>();
        for (int node = 2; node <= NODES; node++) {
            leechers.add(node);
        }
        ExecutorService pool = Executors.newFixedThreadPool(leechers.size());
        CountDownLatch ready = new CountDownLatch(leechers.size());
        CountDownLatch go = new CountDownLatch(1);
        long[] start = new long[1];
        Map<Integer, CompletableFuture<Double>> finished = new HashMap<>();
        for (int node : leechers) {
            finished.put(node, CompletableFuture.supplyAsync(() -> {
                try {
                    ready.countDown();
                    go.await();
                    ContentClient.Got got = ContentClient.get(network.channel(node, "gateway"), id);
                    double s = seconds(System.nanoTime() - start[0]);
                    assertThat(sha256(got.data())).as("node %d got the content byte for byte", node).isEqualTo(digest);
                    return s;
                } catch (Exception e) {
                    throw new IllegalStateException("node " + node + ": " + e, e);
                }
            }, pool));
        }
        assertThat(ready.await(10, TimeUnit.SECONDS)).isTrue();
        Map<ByteString, Integer> ids = nodeIds();
        java.util.concurrent.ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleAtFixedRate(() -> {
            try {
                StringBuilder b = new StringBuilder(String.format("t=%.0f", seconds(System.nanoTime() - start[0])));
                for (int node = 1; node <= NODES; node++) {
                    TransferStatsResponse st = StorageInternalGrpc.newBlockingStub(network.channel(node, "storage-service"))
                            .withDeadlineAfter(2, TimeUnit.SECONDS).transferStats(TransferStatsRequest.getDefaultInstance());
                    b.append(" | n").append(node).append(st.getSeedingOnly() ? "S" : "D").append(":");
                    for (PeerTransfer pt : st.getPeersList()) {
                        b.append(' ').append(ids.getOrDefault(pt.getNodeId(), 0))
                                .append(pt.getPeerInterested() ? "i" : "-").append(pt.getAmChoking() ? "c" : pt.getOptimistic() ? "O" : "U")
                                .append(pt.getBytesSent() >> 18);
                    }
                }
                System.out.println(b);
            } catch (RuntimeException e) {
                System.out.println("sample failed " + e);
            }
        }, 1, 2, TimeUnit.SECONDS);
        start[0] = System.nanoTime();
        go.countDown();
        Map<Integer, Double> times = new HashMap<>();
        for (int node : leechers) {
            times.put(node, finished.get(node).get(300, TimeUnit.SECONDS));
        }
        pool.shutdown();
        sampler.shutdownNow();

        double[] contributors = leechers.stream().filter(n -> n != FREE_RIDER).mapToDouble(times::get).sorted()
                .toArray();
        double median = contributors.length % 2 == 1 ? contributors[contributors.length / 2]
                : (contributors[contributors.length / 2 - 1] + contributors[contributors.length / 2]) / 2;
        double bound = (double) SIZE / LEECHER_DOWNLOAD_LIMIT;
        Map<Integer, Map<Integer, Long>> sent = printTransfers();
        System.out.printf("swarm: %d MiB, seeder %d KiB/s up, %d contributors and %s free rider, %d KiB/s down each;"
                        + " contributor_seconds=%s (bound by the download limit: %.1f)%n", SIZE >> 20,
                SEEDER_UPLOAD_LIMIT >> 10, CONTRIBUTORS, WITH_FREE_RIDER ? "1" : "no", LEECHER_DOWNLOAD_LIMIT >> 10,
                Arrays.toString(contributors), bound);
        if (!WITH_FREE_RIDER) {
            System.out.printf("without_freerider contributor_median_seconds=%.1f contributor_median_vs_limit=%.2f%n",
                    median, median / bound);
            return;
        }
        double freeRider = times.get(FREE_RIDER);
        double ratio = freeRider / median;
        long seederTotal = sent.get(SEEDER).values().stream().mapToLong(Long::longValue).sum();
        double seederShare = (double) sent.get(SEEDER).getOrDefault(FREE_RIDER, 0L) / seederTotal;
        System.out.printf("freerider_seconds=%.1f contributor_median_seconds=%.1f ratio=%.2f"
                        + " contributor_median_vs_limit=%.2f seeder_share_to_freerider=%.2f%n", freeRider, median, ratio,
                median / bound, seederShare);

        assertThat(ratio).as("free rider / contributors' median finish time").isGreaterThanOrEqualTo(MIN_RATIO);
        // Not slowed: the seeder, the one source the free rider competes with the contributors for, gave it less
        // than an equal share, and the contributors' median stays close to what their download limit allows.
        assertThat(seederShare).as("the seeder's upload that went to the free rider")
                .isLessThanOrEqualTo(MAX_SEEDER_SHARE);
        assertThat(median / bound).as("contributors' median / the time their download limit allows")
                .isLessThanOrEqualTo(MAX_CONTRIBUTOR_SLOWDOWN);
    }

    private Map<ByteString, Integer> nodeIds() {
        Map<ByteString, Integer> nodeOf = new HashMap<>();
        for (int node = 1; node <= NODES; node++) {
            String hex = NodeApiGrpc.newBlockingStub(network.channel(node, "gateway"))
                    .withDeadlineAfter(5, TimeUnit.SECONDS).nodeInfo(NodeInfoRequest.getDefaultInstance()).getNodeId();
            nodeOf.put(ByteString.copyFrom(HexFormat.of().parseHex(hex)), node);
        }
        return nodeOf;
    }

    /** Piece bytes each node sent to each other node (storage-service TransferStats), printed in MiB. */
    private Map<Integer, Map<Integer, Long>> printTransfers() {
        Map<ByteString, Integer> nodeOf = nodeIds();
        Map<Integer, Map<Integer, Long>> sent = new HashMap<>();
        for (int node = 1; node <= NODES; node++) {
            TransferStatsResponse stats = StorageInternalGrpc.newBlockingStub(network.channel(node, "storage-service"))
                    .withDeadlineAfter(5, TimeUnit.SECONDS).transferStats(TransferStatsRequest.getDefaultInstance());
            StringBuilder line = new StringBuilder("swarm: node " + node + (node == SEEDER ? " (seeder)"
                    : node == FREE_RIDER ? " (free rider)" : "") + " sent MiB:");
            for (PeerTransfer p : stats.getPeersList()) {
                int to = nodeOf.getOrDefault(p.getNodeId(), 0);
                sent.computeIfAbsent(node, k -> new HashMap<>()).put(to, p.getBytesSent());
                line.append(String.format(" to node %s %.1f", to, p.getBytesSent() / 1048576.0));
            }
            System.out.println(line);
        }
        return sent;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
