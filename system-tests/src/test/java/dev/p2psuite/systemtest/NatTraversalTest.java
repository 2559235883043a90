package dev.p2psuite.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.PeerHandshake;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.common.v1.CandidateKind;
import dev.p2psuite.proto.common.v1.Reachability;
import dev.p2psuite.proto.gateway.v1.DhtKey;
import dev.p2psuite.proto.gateway.v1.FindProvidersRequest;
import dev.p2psuite.proto.gateway.v1.PutValueRequest;
import dev.p2psuite.proto.gateway.v1.GatewayInternalGrpc;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.gateway.v1.SelfRecordRequest;
import dev.p2psuite.proto.relay.v1.CandidateSource;
import dev.p2psuite.proto.relay.v1.CandidatesRequest;
import dev.p2psuite.proto.relay.v1.CandidatesResponse;
import dev.p2psuite.proto.relay.v1.ConnectOpen;
import dev.p2psuite.proto.relay.v1.ConnectRequest;
import dev.p2psuite.proto.relay.v1.ConnectResponse;
import dev.p2psuite.proto.relay.v1.GatheredCandidate;
import dev.p2psuite.proto.relay.v1.HolePunchPeerRequest;
import dev.p2psuite.proto.relay.v1.HolePunchPeerResponse;
import dev.p2psuite.proto.relay.v1.RelayInternalGrpc;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import dev.p2psuite.proto.relay.v1.ReservationsRequest;
import dev.p2psuite.proto.relay.v1.StatsRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * NAT traversal with real NATs (issue 5): network namespaces and iptables ({@code src/test/nat/topology.sh},
 * TESTING.md). A public node P (198.18.0.100), nodes A and B behind port-preserving NATs (198.18.0.1 and
 * 198.18.0.2), node C behind a symmetric NAT ({@code --random-fully}, 198.18.0.3); every NAT box drops unsolicited
 * inbound. Each node is its
 * four real service processes inside its namespace. The topology is built once for the class; namespaces and
 * processes are removed in {@link #tearDown()} whatever happens. Needs root (CI runs as root); skipped otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NatTraversalTest {

    /** n of each node: namespace {@code home n} behind NAT n (0 = the public host), management link 172.31.n.2. */
    private static final int P = 0;
    private static final int A = 1;
    private static final int B = 2;
    private static final int C = 3;
    private static final String PUBLIC_IP = "198.18.0.100";
    private static final String JVM_OPTS = "-Xms16m -Xmx160m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration RESERVATION_LIFETIME = Duration.ofSeconds(16);

    private final Path repo = Path.of("..").toAbsolutePath().normalize();
    private final Path topology = repo.resolve("system-tests/src/test/nat/topology.sh");
    private final Path runDir = Path.of("target", "nat-run").toAbsolutePath();
    private final String prefix = "n" + Long.toString(ProcessHandle.current().pid() % 1_000_000, 36);
    private final List<Process> processes = new ArrayList<>();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final SecureRandom random = new SecureRandom();
    private boolean built;
    private long startedAtNanos;

    @BeforeAll
    void setUp() throws Exception {
        boolean root = "0".equals(run(List.of("id", "-u"), false).trim());
        Assumptions.assumeTrue(root, "NatTraversalTest builds network namespaces and NATs with ip/iptables: run as"
                + " root (CI does); skipped");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/sbin/iptables")) || Files.isExecutable(
                Path.of("/sbin/iptables")), "iptables is not installed (.ci/run installs it); skipped");
        for (String svc : LocalNetwork.SERVICES) {
            assertThat(jar(svc)).as("packaged service (mvn package)").exists();
        }
        built = true;
        run(List.of(topology.toString(), "up", prefix), true);
        Files.createDirectories(runDir);
        startedAtNanos = System.nanoTime();
        // Short reservations, so that the class also sees them renewed (at 3/4 of the lifetime) under live circuits.
        startNode(P, "pub", List.of("P2P_DHT_STANDALONE=true"),
                List.of("P2P_RELAY_RESERVATION_LIFETIME=" + RESERVATION_LIFETIME.toSeconds() + "s"));
        String nat = "P2P_NAT_STUN_SERVERS=" + PUBLIC_IP + ":3478";
        List<String> natRelay = List.of(nat, "P2P_NAT_RELAYS=" + PUBLIC_IP + ":7000", "P2P_NAT_GATHER_INTERVAL=3s");
        startNode(A, "home1", List.of("P2P_DHT_BOOTSTRAP=" + PUBLIC_IP + ":7000"), natRelay);
        startNode(B, "home2", List.of("P2P_DHT_BOOTSTRAP=" + PUBLIC_IP + ":7000"), natRelay);
        startNode(C, "home3", List.of("P2P_DHT_BOOTSTRAP=" + PUBLIC_IP + ":7000"), natRelay);
        for (int n : new int[] {P, A, B, C}) {
            awaitReady(n);
        }
    }

    @AfterAll
    void tearDown() throws Exception {
        channels.values().forEach(ManagedChannel::shutdownNow);
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (built) {
            run(List.of(topology.toString(), "down", prefix), false);
        }
    }

    @Test
    @Order(1)
    void aNodeBehindANatLearnsItsMappedAddressThroughStunAndIsReachableThroughItsRelay() throws Exception {
        CandidatesResponse a = await("A's STUN candidate, PRIVATE verdict and a published relayed candidate",
                () -> candidates(A), c -> c.getReachability() == Reachability.REACHABILITY_PRIVATE
                        && has(c, CandidateKind.CANDIDATE_KIND_SERVER_REFLEXIVE, "198.18.0.1", 7000,
                        CandidateSource.CANDIDATE_SOURCE_STUN)
                        && c.getCandidatesList().stream().anyMatch(g -> g.getPublished()
                        && g.getCandidate().getKind() == CandidateKind.CANDIDATE_KIND_RELAYED));
        double seconds = (System.nanoTime() - startedAtNanos) / 1e9;
        System.out.printf("nat: A reachable through its relay %.1f s after its processes were started%n", seconds);
        System.out.println("nat: A's candidates: " + a);
        GatheredCandidate stun = a.getCandidatesList().stream()
                .filter(g -> g.getSource() == CandidateSource.CANDIDATE_SOURCE_STUN).findFirst().orElseThrow();
        assertThat(stun.getReportedBy()).isEqualTo(PUBLIC_IP + ":3478");
        assertThat(stun.getVerified()).as("the NAT drops the dial-back").isFalse();
        var record = GatewayInternalGrpc.newBlockingStub(channel(A, 7000))
                .selfRecord(SelfRecordRequest.getDefaultInstance()).getRecord().getRecord();
        assertThat(record.getCandidatesList()).anyMatch(c -> c.getKind() == CandidateKind.CANDIDATE_KIND_SERVER_REFLEXIVE
                && c.getHost().equals("198.18.0.1") && c.getPort() == 7000);
        assertThat(record.getCandidatesList()).anyMatch(c -> c.getKind() == CandidateKind.CANDIDATE_KIND_RELAYED
                && c.getHost().equals(PUBLIC_IP) && c.getPort() == 7000);
        var held = RelayInternalGrpc.newBlockingStub(channel(A, 7003)).reservations(ReservationsRequest.getDefaultInstance());
        assertThat(held.getHeldList()).hasSize(1);
        assertThat(held.getHeld(0).getListening()).isTrue();
        assertThat(RelayInternalGrpc.newBlockingStub(channel(P, 7003)).reservations(ReservationsRequest.getDefaultInstance())
                .getServedList()).hasSize(3); // A, B and C
    }

    @Test
    @Order(2)
    void contentPutOnANattedNodeIsFetchedByThePublicNodeThroughTheRelay() throws Exception {
        awaitRelayedRecordIn(A);
        byte[] content = new byte[3 * ContentClient.CHUNK + 12_345];
        random.nextBytes(content);
        String id = ContentClient.put(channel(A, 7000), content, "behind-nat-1.bin").getContent().getContentId();
        long circuitsBefore = stats(P).getCircuitsOpened();
        awaitProviderWithRelayedCandidate(id);
        ContentClient.Got got = ContentClient.get(channel(P, 7000), id);
        assertThat(got.data()).isEqualTo(content);
        assertThat(stats(P).getCircuitsOpened()).as("circuits through P's relay").isGreaterThan(circuitsBefore);
        assertThat(stats(P).getBytesRelayed()).isGreaterThan(content.length);
    }

    @Test
    @Order(3)
    void aNodeBehindASymmetricNatWorksThroughTheRelayOnly() throws Exception {
        CandidatesResponse c = await("C's PRIVATE verdict and relayed candidate", () -> candidates(C),
                r -> r.getReachability() == Reachability.REACHABILITY_PRIVATE && r.getCandidatesList().stream()
                        .anyMatch(g -> g.getPublished() && g.getCandidate().getKind() == CandidateKind.CANDIDATE_KIND_RELAYED));
        System.out.println("nat: C's candidates: " + c);
        assertThat(c.getCandidatesList()).noneMatch(GatheredCandidate::getVerified);
        // The symmetric NAT maps the STUN request to a random port: not the gateway's.
        assertThat(c.getCandidatesList()).anyMatch(g -> g.getSource() == CandidateSource.CANDIDATE_SOURCE_STUN
                && g.getCandidate().getHost().equals("198.18.0.3") && g.getCandidate().getPort() != 7000);
        awaitRelayedRecordIn(C);
        byte[] content = new byte[ContentClient.CHUNK + 777];
        random.nextBytes(content);
        String id = ContentClient.put(channel(C, 7000), content, "behind-symmetric-nat.bin").getContent().getContentId();
        awaitProviderWithRelayedCandidate(id);
        assertThat(ContentClient.get(channel(P, 7000), id).data()).isEqualTo(content);
    }

    @Test
    @Order(4)
    void dhtStoresFromThePublicNodeReachTheNattedNodesThroughTheRelay() throws Exception {
        awaitRelayedRecordIn(A);
        // A and C are reachable only through P's relay: every store they accept went over a circuit.
        System.out.println("nat: P's routing table: " + NodeApiGrpc.newBlockingStub(channel(P, 7000))
                .routingTable(dev.p2psuite.proto.gateway.v1.RoutingTableRequest.getDefaultInstance()));
        try {
            await("P's value stored on A and C", () -> NodeApiGrpc.newBlockingStub(channel(P, 7000))
                .withDeadlineAfter(20, TimeUnit.SECONDS).putValue(PutValueRequest.newBuilder()
                        .setKey(DhtKey.newBuilder().setName("nat-test")).setValue(ByteString.copyFromUtf8("through relays"))
                        .build()), r -> r.getStoredCount() >= 2);
        } finally {
            System.out.println("nat: P's routing table after: " + NodeApiGrpc.newBlockingStub(channel(P, 7000))
                    .routingTable(dev.p2psuite.proto.gateway.v1.RoutingTableRequest.getDefaultInstance()));
        }
    }

    @Test
    @Order(5)
    void aRelayRequestIntoAPrivateRangeIsRefused() throws Exception {
        NodeKey key = NodeKey.generate(random);
        SignedPeerRecord me = SignedPeerRecord.sign(key, 1, List.of(Candidate.host("172.31.0.1", 1)));
        ManagedChannel p = channel(P, 7000);
        PeerHandshake.PeerSession session = PeerHandshake.authenticate(p, key, me, null, random);
        // A node holding no reservation on P (a node that holds one would be reached over its Listen instead):
        // the relay would have to dial the address itself, TURN-style, and 10.0.1.2 is private.
        byte[] nobody = new byte[20];
        random.nextBytes(nobody);
        CompletableFuture<Status> ended = new CompletableFuture<>();
        StreamObserver<ConnectRequest> out = RelayPeerGrpc.newStub(session.attachTo(p)).connect(
                new StreamObserver<>() {
                    @Override
                    public void onNext(ConnectResponse value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        ended.complete(Status.OK);
                    }
                });
        out.onNext(ConnectRequest.newBuilder().setOpen(ConnectOpen.newBuilder()
                .setTargetNodeId(ByteString.copyFrom(nobody)).setTargetHost("10.0.1.2").setTargetPort(7000))
                .build());
        Status status = ended.get(20, TimeUnit.SECONDS);
        assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(status.getDescription()).contains("10.0.1.2");
    }

    @Test
    @Order(6)
    void heldReservationsAreRenewedBeforeTheyExpire() throws Exception {
        var first = RelayInternalGrpc.newBlockingStub(channel(A, 7003)).reservations(ReservationsRequest.getDefaultInstance())
                .getHeld(0);
        Thread.sleep(RESERVATION_LIFETIME.toMillis()); // longer than the rest of its lifetime: renewed meanwhile
        var later = RelayInternalGrpc.newBlockingStub(channel(A, 7003)).reservations(ReservationsRequest.getDefaultInstance())
                .getHeld(0);
        assertThat(later.getListening()).isTrue();
        assertThat(later.getExpiresAtUnixMs()).isGreaterThan(first.getExpiresAtUnixMs());
        assertThat(later.getExpiresAtUnixMs()).isGreaterThan(System.currentTimeMillis());
        assertThat(stats(P).getReservationsActive()).isEqualTo(3);
    }

    @Test
    @Order(7)
    void twoNodesBehindPortPreservingNatsHoldADirectHolePunchedConnection() throws Exception {
        awaitPunchable(A, "198.18.0.1");
        byte[] b = awaitPunchable(B, "198.18.0.2");
        long before = stats(A).getHolePunchSuccesses();
        HolePunchPeerResponse punch = holePunch(A, b);
        System.out.println("nat: hole punch A -> B: " + punch);
        assertThat(punch.getSuccess()).as("A proved B by PeerAuth over the punched connection: " + punch).isTrue();
        // A's punched socket connected to NAT 2's public address on B's punch port, not to the relay ...
        assertThat(punch.getConnectedTo()).startsWith("198.18.0.2:");
        // ... and B's punched socket saw A at NAT 1's public address, on A's own punch port (port-preserving NAT).
        assertThat(punch.getResponderConnectedTo()).isEqualTo("198.18.0.1:" + punch.getLocalPort());
        assertThat(stats(A).getHolePunchSuccesses()).isGreaterThan(before);
    }

    @Test
    @Order(8)
    void aNodeBehindASymmetricNatCannotBePunchedAndStaysOnTheRelay() throws Exception {
        awaitPunchable(A, "198.18.0.1");
        byte[] c = await("C's record with a relayed candidate", () -> selfRecord(C),
                r -> r.getCandidatesList().stream().anyMatch(k -> k.getKind() == CandidateKind.CANDIDATE_KIND_RELAYED))
                .getNodeId().toByteArray();
        HolePunchPeerResponse punch = holePunch(A, c);
        System.out.println("nat: hole punch A -> C: " + punch);
        // C's NAT maps C's punch port to a random public port: A's SYNs to the announced port are dropped by NAT 3,
        // and C's SYNs come from a port NAT 1 has no mapping for, so NAT 1 drops them. Every DCUtR attempt fails.
        assertThat(punch.getSuccess()).isFalse();
        assertThat(punch.getAttempts()).isEqualTo(3);
        assertThat(punch.getFailure()).isNotEmpty();
        var held = RelayInternalGrpc.newBlockingStub(channel(C, 7003)).reservations(ReservationsRequest.getDefaultInstance());
        assertThat(held.getHeldList()).anyMatch(h -> h.getListening());
    }

    /**
     * Issue 5 item 4 (libp2p DCUtR): B reaches A only through P's relay at first; its dht-service and its
     * storage-service each upgrade that route in the background to a hole-punched connection, and their traffic to A
     * moves to it. Proved by what P's relay carries (a 2 MiB fetch B ← A after the upgrade adds far less than 2 MiB
     * to P's relayed bytes), by A's host holding an established TCP connection with NAT 2's public address (only a
     * punch can make one: NAT 2 drops unsolicited inbound), and by the dialers' metrics.
     */
    @Test
    @Order(11)
    void trafficBetweenTwoNattedNodesMovesFromTheRelayToAHolePunchedConnection() throws Exception {
        String a = java.util.HexFormat.of().formatHex(awaitPunchable(A, "198.18.0.1"));
        awaitPunchable(B, "198.18.0.2");
        // A DHT RPC B -> A (A is among the k closest of every key in a 4-node network): B's dht-service reaches A
        // through the relay first (maybe already while joining) and upgrades it.
        long dhtStart = System.nanoTime();
        await("B's dht-service reaching A over a hole-punched connection", () -> {
            NodeApiGrpc.newBlockingStub(channel(B, 7000)).withDeadlineAfter(20, TimeUnit.SECONDS).putValue(
                    PutValueRequest.newBuilder().setKey(DhtKey.newBuilder().setName("upgrade-test"))
                            .setValue(ByteString.copyFromUtf8("from B")).build());
            return metrics(B, 7006);
        }, m -> metric(m, "p2p_peer_routes{kind=\"hole_punched\"}") >= 1);
        System.out.printf("nat: B's DHT traffic to A on a punched connection %.1f s into this test; %s%n",
                (System.nanoTime() - dhtStart) / 1e9, upgradeLog(B, "dht-service"));
        // B's routing table (NodeApi) says how B's dht-service reaches A now.
        assertThat(NodeApiGrpc.newBlockingStub(channel(B, 7000)).routingTable(
                        dev.p2psuite.proto.gateway.v1.RoutingTableRequest.getDefaultInstance()).getBucketsList().stream()
                .flatMap(bucket -> bucket.getContactsList().stream()).filter(c -> c.getNodeId().equals(a)))
                .singleElement().extracting(dev.p2psuite.proto.gateway.v1.PeerInfo::getPath)
                .isEqualTo(dev.p2psuite.proto.gateway.v1.ConnectionPath.CONNECTION_PATH_HOLE_PUNCHED);

        // Content B <- A: the first fetch finds A through the relay and starts the upgrade without waiting for it.
        byte[] first = new byte[ContentClient.CHUNK + 4_321];
        random.nextBytes(first);
        String firstId = ContentClient.put(channel(A, 7000), first, "upgrade-1.bin").getContent().getContentId();
        awaitProviderWithRelayedCandidate(B, firstId);
        long fetchStart = System.nanoTime();
        assertThat(ContentClient.get(channel(B, 7000), firstId).data()).isEqualTo(first);
        await("B's storage-service reaching A over a hole-punched connection", () -> metrics(B, 7007),
                m -> metric(m, "p2p_peer_routes{kind=\"hole_punched\"}") >= 1, Duration.ofSeconds(30));
        double upgradeSeconds = (System.nanoTime() - fetchStart) / 1e9;
        System.out.printf("nat: B's piece traffic to A upgraded %.1f s after B's first (relayed) fetch started; %s%n",
                upgradeSeconds, upgradeLog(B, "storage-service"));

        // A observes B at NAT 2's public address: an established connection no relay could have made.
        assertThat(run(List.of("ip", "netns", "exec", prefix + "-home1", "ss", "-Htn", "state", "established",
                "dst", "198.18.0.2"), true)).as("A's connections with NAT 2's public address")
                .containsPattern("198\\.18\\.0\\.2]?:\\d+"); // IPv4, or IPv4-mapped [::ffff:198.18.0.2]:port

        byte[] second = new byte[2 << 20];
        random.nextBytes(second);
        String secondId = ContentClient.put(channel(A, 7000), second, "upgrade-2.bin").getContent().getContentId();
        awaitProviderWithRelayedCandidate(B, secondId);
        long relayedBefore = stats(P).getBytesRelayed();
        double punchedBefore = metric(metrics(B, 7007), "p2p_hole_punch_upgrades_total{outcome=\"succeeded\"}");
        assertThat(ContentClient.get(channel(B, 7000), secondId).data()).isEqualTo(second);
        long relayed = stats(P).getBytesRelayed() - relayedBefore;
        System.out.printf("nat: %d bytes fetched B <- A after the upgrade; P relayed %d bytes meanwhile%n",
                second.length, relayed);
        assertThat(relayed).as("bytes through P's relay while B fetched 2 MiB from A").isLessThan(second.length / 4);
        assertThat(metric(metrics(B, 7007), "p2p_hole_punch_upgrades_total{outcome=\"succeeded\"}"))
                .as("the punched connection was kept, not punched again").isEqualTo(punchedBefore);
    }

    /**
     * C is behind the symmetric NAT: A's storage-service tries one DCUtR exchange (3 attempts) in the background,
     * it fails, and A's traffic to C stays on the relay and works; further fetches within the backoff start no
     * new exchange.
     */
    @Test
    @Order(12)
    void aNodeBehindTheSymmetricNatStaysRelayedWithBoundedUpgradeAttempts() throws Exception {
        awaitRelayedRecordIn(C);
        byte[] first = new byte[ContentClient.CHUNK + 99];
        random.nextBytes(first);
        String firstId = ContentClient.put(channel(C, 7000), first, "symmetric-1.bin").getContent().getContentId();
        awaitProviderWithRelayedCandidate(A, firstId);
        assertThat(ContentClient.get(channel(A, 7000), firstId).data()).isEqualTo(first);
        String m = await("A's storage-service giving up its hole punch to C", () -> metrics(A, 7007),
                x -> metric(x, "p2p_hole_punch_upgrades_total{outcome=\"failed\"}") >= 1, Duration.ofSeconds(45));
        assertThat(metric(m, "p2p_hole_punch_upgrades_total{outcome=\"attempted\"}")).isEqualTo(1);
        assertThat(metric(m, "p2p_hole_punch_upgrades_total{outcome=\"succeeded\"}")).isZero();
        assertThat(metric(m, "p2p_peer_routes{kind=\"relayed\"}")).isGreaterThanOrEqualTo(1);
        byte[] second = new byte[ContentClient.CHUNK + 77];
        random.nextBytes(second);
        String secondId = ContentClient.put(channel(C, 7000), second, "symmetric-2.bin").getContent().getContentId();
        awaitProviderWithRelayedCandidate(A, secondId);
        long circuitsBefore = stats(P).getCircuitsOpened();
        assertThat(ContentClient.get(channel(A, 7000), secondId).data()).isEqualTo(second);
        String after = metrics(A, 7007);
        assertThat(metric(after, "p2p_hole_punch_upgrades_total{outcome=\"attempted\"}"))
                .as("no new exchange within the backoff").isEqualTo(1);
        assertThat(metric(after, "p2p_peer_routes{kind=\"hole_punched\"}")).isZero();
        System.out.println("nat: A -> C stays relayed; circuits opened through P before the second fetch "
                + circuitsBefore + ", after " + stats(P).getCircuitsOpened() + "; "
                + upgradeLog(A, "storage-service"));
    }

    /**
     * Opt-in figures ({@code -Dnat.punch.runs=20}): that many hole punches A -> B, each a full DCUtR exchange
     * (up to 3 attempts); prints {@code hole_punch_attempts= successes= first_attempt_successes=} and the median
     * time of a successful punch.
     */
    @Test
    @Order(9)
    void holePunchSuccessFigures() throws Exception {
        int runs = Integer.getInteger("nat.punch.runs", 0);
        Assumptions.assumeTrue(runs > 0, "figures only with -Dnat.punch.runs=N");
        awaitPunchable(A, "198.18.0.1");
        byte[] b = awaitPunchable(B, "198.18.0.2");
        int successes = 0;
        int firstAttempt = 0;
        List<Integer> millis = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            HolePunchPeerResponse punch = holePunch(A, b);
            if (punch.getSuccess()) {
                successes++;
                millis.add(punch.getPunchMs());
                if (punch.getAttempts() == 1) {
                    firstAttempt++;
                }
            } else {
                System.out.println("nat: punch " + (i + 1) + " failed: " + punch);
            }
        }
        millis.sort(null);
        System.out.printf("nat: hole_punch_attempts=%d successes=%d first_attempt_successes=%d median_punch_ms=%s%n",
                runs, successes, firstAttempt, millis.isEmpty() ? "-" : millis.get(millis.size() / 2));
    }

    /**
     * Opt-in figures ({@code -Dnat.bench.mib=64}): the same amount fetched directly (A, behind its NAT, downloads
     * from P) and through P's relay (P downloads from A), each a fresh content, rounds alternating; prints
     * {@code direct_mb_per_s= relayed_mb_per_s= ratio=} (medians). Asserts only that the bytes arrive intact.
     */
    @Test
    @Order(10)
    void directAndRelayedTransferFigures() throws Exception {
        int mib = Integer.getInteger("nat.bench.mib", 0);
        Assumptions.assumeTrue(mib > 0, "figures only with -Dnat.bench.mib=N");
        int rounds = Integer.getInteger("nat.bench.rounds", 3);
        List<Double> direct = new ArrayList<>();
        List<Double> relayed = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            direct.add(transfer(P, A, mib));
            relayed.add(transfer(A, P, mib));
        }
        direct.sort(null);
        relayed.sort(null);
        double d = direct.get(rounds / 2);
        double rl = relayed.get(rounds / 2);
        System.out.printf("nat: mib=%d rounds=%d direct_mb_per_s=%.1f relayed_mb_per_s=%.1f ratio=%.2f%n",
                mib, rounds, d, rl, rl / d);
    }

    /** Puts {@code mib} MiB of fresh random bytes on {@code from}, gets them on {@code to}; MB/s of the get. */
    private double transfer(int from, int to, int mib) throws Exception {
        byte[] content = new byte[mib << 20];
        random.nextBytes(content);
        String id = ContentClient.put(channel(from, 7000), content, "bench.bin").getContent().getContentId();
        if (from != P) {
            awaitProviderWithRelayedCandidate(id);
        }
        long start = System.nanoTime();
        byte[] got = ContentClient.get(channel(to, 7000), id).data();
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(got).isEqualTo(content);
        return content.length / 1e6 / seconds;
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private Path jar(String svc) {
        return repo.resolve(svc).resolve("target/quarkus-app/quarkus-run.jar");
    }

    private void startNode(int n, String ns, List<String> dhtEnv, List<String> relayEnv) throws IOException {
        String mgmt = "172.31." + n + ".2";
        String advertise = n == P ? PUBLIC_IP : "10.0." + n + ".2";
        Path data = runDir.resolve("node" + n);
        deleteRecursively(data);
        Files.createDirectories(data);
        for (String svc : LocalNetwork.SERVICES) {
            List<String> env = new ArrayList<>(List.of("P2P_DATA_DIR=" + data));
            switch (svc) {
                case "gateway" -> env.addAll(List.of("P2P_GATEWAY_ADVERTISE_HOST=" + advertise,
                        "P2P_GATEWAY_RELAY_ADDRESS=" + mgmt + ":7003"));
                case "dht-service" -> {
                    env.addAll(dhtEnv);
                    env.add("QUARKUS_LOG_CATEGORY__DEV_P2PSUITE_DHT__LEVEL=DEBUG");
                }
                case "relay-service" -> {
                    // Bound to the management link (and not the WAN) so that the test can ask it directly.
                    env.add("QUARKUS_GRPC_SERVER_HOST=" + mgmt);
                    env.addAll(relayEnv);
                }
                default -> {
                }
            }
            List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", prefix + "-" + ns, "env"));
            command.addAll(env);
            command.add("java");
            command.addAll(List.of(JVM_OPTS.split(" ")));
            command.addAll(List.of("-jar", jar(svc).toString()));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(runDir.resolve("node" + n + "-" + svc + ".log").toFile()).start();
            processes.add(process);
        }
    }

    private void awaitReady(int n) throws Exception {
        URI ready = URI.create("http://172.31." + n + ".2:7005/q/health/ready");
        await("node " + n + " ready (logs in " + runDir + ")", () -> {
            try {
                return http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }, code -> code == 200, READY_TIMEOUT);
    }

    private ManagedChannel channel(int n, int port) {
        return channels.computeIfAbsent(n + ":" + port, k -> GrpcChannels.open("172.31." + n + ".2:" + port));
    }

    private CandidatesResponse candidates(int n) {
        return RelayInternalGrpc.newBlockingStub(channel(n, 7003)).withDeadlineAfter(10, TimeUnit.SECONDS)
                .candidates(CandidatesRequest.getDefaultInstance());
    }

    private dev.p2psuite.proto.relay.v1.StatsResponse stats(int n) {
        return RelayInternalGrpc.newBlockingStub(channel(n, 7003)).stats(StatsRequest.getDefaultInstance());
    }

    private dev.p2psuite.proto.common.v1.PeerRecord selfRecord(int n) {
        return GatewayInternalGrpc.newBlockingStub(channel(n, 7000)).withDeadlineAfter(10, TimeUnit.SECONDS)
                .selfRecord(SelfRecordRequest.getDefaultInstance()).getRecord().getRecord();
    }

    /**
     * Until node n's record lists its STUN-learned public address and a relayed candidate (the hole punch needs
     * both: the first is announced on the punch port, the second carries the exchange); its node ID.
     */
    private byte[] awaitPunchable(int n, String publicIp) throws Exception {
        return await("node " + n + "'s record with " + publicIp + " and a relayed candidate", () -> selfRecord(n),
                r -> r.getCandidatesList().stream().anyMatch(k -> k.getKind() == CandidateKind.CANDIDATE_KIND_RELAYED)
                        && r.getCandidatesList().stream().anyMatch(k -> k.getKind()
                        == CandidateKind.CANDIDATE_KIND_SERVER_REFLEXIVE && k.getHost().equals(publicIp)))
                .getNodeId().toByteArray();
    }

    /** Node {@code from}'s relay-service punches to {@code target} through P's relay (RelayInternal/HolePunch). */
    private HolePunchPeerResponse holePunch(int from, byte[] target) {
        return RelayInternalGrpc.newBlockingStub(channel(from, 7003)).withDeadlineAfter(60, TimeUnit.SECONDS)
                .holePunch(HolePunchPeerRequest.newBuilder().setTargetNodeId(ByteString.copyFrom(target))
                        .setRelayAddress(PUBLIC_IP + ":7000").build());
    }

    private static boolean has(CandidatesResponse c, CandidateKind kind, String host, int port, CandidateSource source) {
        return c.getCandidatesList().stream().anyMatch(g -> g.getCandidate().getKind() == kind
                && g.getCandidate().getHost().equals(host) && g.getCandidate().getPort() == port
                && g.getSource() == source);
    }

    /** Until the node's services use the record with its relayed candidate (dht-service re-reads it every 5 s). */
    private void awaitRelayedRecordIn(int n) throws Exception {
        await("node " + n + "'s record with a relayed candidate", () -> GatewayInternalGrpc.newBlockingStub(channel(n, 7000))
                .selfRecord(SelfRecordRequest.getDefaultInstance()).getRecord().getRecord().getCandidatesList(),
                list -> list.stream().anyMatch(c -> c.getKind() == CandidateKind.CANDIDATE_KIND_RELAYED));
        Thread.sleep(6_000);
    }

    /** Until P finds the content's provider in the DHT with a record that lists a relay. */
    private void awaitProviderWithRelayedCandidate(String id) throws Exception {
        awaitProviderWithRelayedCandidate(P, id);
    }

    /** Until node n finds the content's provider in the DHT with a record that lists a relay. */
    private void awaitProviderWithRelayedCandidate(int n, String id) throws Exception {
        await("a provider of " + id + " with a relayed candidate, seen from node " + n, () -> NodeApiGrpc.newBlockingStub(
                        channel(n, 7000)).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .findProviders(FindProvidersRequest.newBuilder().setContentId(id).build()).getProvidersList(),
                list -> list.stream().anyMatch(p -> p.getRecord().getRecord().getCandidatesList().stream()
                        .anyMatch(c -> c.getKind() == CandidateKind.CANDIDATE_KIND_RELAYED)));
    }

    /**
     * The {@code p2p_} samples of node n's service whose HTTP port is {@code port} (node-private: read inside its
     * host), Prometheus text.
     */
    private String metrics(int n, int port) {
        try {
            return String.join("\n", run(List.of("ip", "netns", "exec", prefix + "-" + (n == P ? "pub" : "home" + n),
                    "curl", "-sS", "--max-time", "5", "http://127.0.0.1:" + port + "/q/metrics"), true).lines()
                    .filter(l -> l.startsWith("p2p_")).toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The value of the sample {@code name{labels}} (exactly as written, labels in order), 0 if absent. */
    private static double metric(String prometheus, String sample) {
        for (String raw : prometheus.split("\n")) {
            String line = raw.replace(",}", "}"); // older Prometheus clients end the labels with a comma
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim());
            }
        }
        return 0;
    }

    /** The dialer's log lines about upgrades in node n's service log. */
    private String upgradeLog(int n, String service) throws IOException {
        return String.join(" | ", Files.readAllLines(runDir.resolve("node" + n + "-" + service + ".log")).stream()
                .filter(l -> l.contains("route upgraded") || l.contains("stays on the relay")).toList());
    }

    private <T> T await(String what, Supplier<T> probe, Predicate<T> done) throws InterruptedException {
        return await(what, probe, done, Duration.ofSeconds(60));
    }

    private <T> T await(String what, Supplier<T> probe, Predicate<T> done, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        T last = null;
        RuntimeException failure = null;
        while (System.nanoTime() < until) {
            try {
                last = probe.get();
                failure = null;
                if (done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                failure = e;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("timed out waiting for " + what + "; last seen: " + last, failure);
    }

    private static String run(List<String> command, boolean check) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command + " did not finish");
        }
        if (check && p.exitValue() != 0) {
            throw new IllegalStateException(command + " failed (" + p.exitValue() + "):\n" + out);
        }
        return out;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path path : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
