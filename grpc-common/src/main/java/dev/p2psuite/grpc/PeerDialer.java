package dev.p2psuite.grpc;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.relay.v1.HolePunchPeerResponse;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import dev.p2psuite.relay.core.DirectUpgradePolicy;
import dev.p2psuite.relay.core.HolePunchResponder;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * How this node reaches another node's gateway, ICE style (RFC 8445 §6–7, simplified to one component over TCP):
 * the direct candidates of its signed record (host, server-reflexive) are checked in parallel with a short
 * connect timeout and the first that connects is used; when none does, the record's RELAYED candidates are used
 * through a circuit (libp2p circuit relay v2) behind a local {@link RelayBridge}. What worked is remembered per
 * node and record version until {@link #forget(NodeId)} (a call failed). Channels are kept for the process's life
 * (STACK.md: reuse channels).
 *
 * <p>A relayed route is upgraded to a direct one when it can be (libp2p DCUtR): in the background, without delaying
 * the call that found it, a hole punch is coordinated through the relay ({@link HolePunchExchange} over the relayed
 * channel, the peer's relay-service answering and splicing its end to its gateway); once PeerAuth proves the peer on
 * the punched connection, new calls use it ({@link PunchedChannel}). Calls in flight on the relayed channel go on;
 * the relayed route stays as the fallback when the punched connection ends. When and how often to try is
 * {@link DirectUpgradePolicy}'s (bounded attempts per peer and record version, backoff).
 */
public final class PeerDialer implements AutoCloseable {

    /** Deadline of one direct connectivity check (a TCP connect); short, as ICE checks are. */
    public static final int DIRECT_CHECK_TIMEOUT_MS = 1_500;
    /**
     * How long a ready relay waits for a direct check to succeed before it is used (like Happy Eyeballs, RFC 8305:
     * prefer the better path without waiting out its timeout).
     */
    public static final int DIRECT_PREFERENCE_MS = 250;

    /** Deadline of one dial from a punch port (as relay-service's {@code p2p.relay.dial-timeout} default). */
    public static final Duration PUNCH_DIAL_TIMEOUT = Duration.ofSeconds(3);
    /** Deadline of a whole DCUtR exchange (3 attempts, each at most two answers and a dial). */
    static final Duration EXCHANGE_DEADLINE = Duration.ofSeconds(60);

    /** How a node is reached now. */
    public enum RouteKind { DIRECT, HOLE_PUNCHED, RELAYED }

    /** How a node is reached: {@code via} is the candidate that worked (for a punched one: the address punched to). */
    public record Route(NodeId node, Candidate via, Channel channel, boolean punched) {
        public Route(NodeId node, Candidate via, Channel channel) {
            this(node, via, channel, false);
        }

        public boolean relayed() {
            return via.kind() == Candidate.Kind.RELAYED;
        }

        public RouteKind kind() {
            return relayed() ? RouteKind.RELAYED : punched ? RouteKind.HOLE_PUNCHED : RouteKind.DIRECT;
        }
    }

    /** Upgrades of relayed routes since start: exchanges started, succeeded, failed; punched connections lost. */
    public record UpgradeStats(long attempted, long succeeded, long failed, long lost) {
    }

    private record Known(long seq, CompletableFuture<Route> route) {
    }

    private static final System.Logger LOG = System.getLogger(PeerDialer.class.getName());

    private final NodeKey key;
    private final Supplier<SignedPeerRecord> self;
    private final SecureRandom random;
    private final Map<NodeId, Known> routes = new ConcurrentHashMap<>();
    private final Map<String, ManagedChannel> direct = new ConcurrentHashMap<>();
    private final Map<NodeId, RelaySession> relays = new ConcurrentHashMap<>();
    private final Map<String, RelayBridge> bridges = new ConcurrentHashMap<>();
    private final ExecutorService checks = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ice-check");
        t.setDaemon(true);
        return t;
    });
    /** Guarded by itself. */
    private final DirectUpgradePolicy upgrades;
    private final Map<NodeId, PunchedChannel> punched = new ConcurrentHashMap<>();
    /** When each node was first found only through a relay (for the upgrade's delay in the log), nanos. */
    private final Map<NodeId, Long> relayedSince = new ConcurrentHashMap<>();
    private final AtomicLong attempted = new AtomicLong();
    private final AtomicLong succeeded = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong lost = new AtomicLong();

    /** @param self this node's current signed record (for the handshake with relays) */
    public PeerDialer(NodeKey key, Supplier<SignedPeerRecord> self, SecureRandom random) {
        this(key, self, random, DirectUpgradePolicy.Settings.defaults());
    }

    /** @param upgrades when relayed routes are upgraded by hole punching */
    public PeerDialer(NodeKey key, Supplier<SignedPeerRecord> self, SecureRandom random,
                      DirectUpgradePolicy.Settings upgrades) {
        this.key = key;
        this.self = self;
        this.random = random;
        this.upgrades = new DirectUpgradePolicy(upgrades, InstantSource.system());
    }

    /** True if the record can only be reached through a relay or lists a relay as well as direct addresses. */
    public static boolean hasRelayed(SignedPeerRecord record) {
        return record.record().candidates().stream().anyMatch(c -> c.kind() == Candidate.Kind.RELAYED);
    }

    /** The route to the node of {@code record}: a remembered one, or found now. */
    public CompletableFuture<Route> route(SignedPeerRecord record) {
        NodeId id = record.nodeId();
        Known known = routes.get(id);
        if (known != null && known.seq() >= record.seq() && !known.route().isCompletedExceptionally()) {
            Route r = known.route().getNow(null);
            if (r != null && r.relayed()) {
                maybeUpgrade(record, r); // after a backoff, or with a new record version, try again
            }
            return known.route();
        }
        PunchedChannel held = punched.get(id);
        if (held != null && !held.ended().isDone()) {
            // Forgotten after a failed call, but the punched connection (proved to be this node) is still up.
            CompletableFuture<Route> direct = CompletableFuture.completedFuture(punchedRoute(id, held));
            routes.put(id, new Known(record.seq(), direct));
            return direct;
        }
        CompletableFuture<Route> found = find(record);
        routes.put(id, new Known(record.seq(), found));
        found.thenAccept(r -> {
            if (r.relayed()) {
                relayedSince.putIfAbsent(id, System.nanoTime());
                maybeUpgrade(record, r);
            }
        });
        return found;
    }

    /** Route kinds of the nodes with a settled route, for logs and metrics. */
    public Map<NodeId, RouteKind> routeKinds() {
        Map<NodeId, RouteKind> out = new HashMap<>();
        routes.forEach((id, known) -> {
            Route r = known.route().getNow(null);
            if (r != null) {
                out.put(id, r.kind());
            }
        });
        return out;
    }

    public UpgradeStats upgradeStats() {
        return new UpgradeStats(attempted.get(), succeeded.get(), failed.get(), lost.get());
    }

    /** Starts a hole punch to the node of {@code record} in the background if the policy says so. */
    private void maybeUpgrade(SignedPeerRecord record, Route relayed) {
        SignedPeerRecord me = self.get();
        boolean bothDirect = !PeerRecords.directCandidates(me, 1).isEmpty()
                && !PeerRecords.directCandidates(record, 1).isEmpty();
        DirectUpgradePolicy.Decision decision;
        synchronized (upgrades) {
            decision = upgrades.onRelayedRoute(record.nodeId(), record.seq(), hasRelayed(me), bothDirect);
        }
        if (decision != DirectUpgradePolicy.Decision.START) {
            return;
        }
        attempted.incrementAndGet();
        LOG.log(System.Logger.Level.INFO, "node {0} is reached through relay {1}: trying to upgrade to a direct"
                + " connection by a hole punch", record.nodeId().toHex(), relayed.via().relay().toHex());
        checks.execute(() -> upgrade(record, relayed, me));
    }

    /** One DCUtR exchange over the relayed route (blocking, on a pool thread); adopts the punched connection. */
    private void upgrade(SignedPeerRecord record, Route relayed, SignedPeerRecord me) {
        NodeId id = record.nodeId();
        PunchedChannel[] kept = new PunchedChannel[1];
        String failure;
        try {
            PeerHandshake.PeerSession session = PeerHandshake.authenticate(relayed.channel(), key, me, id, random);
            HolePunchPeerResponse outcome = HolePunchExchange.run(RelayPeerGrpc.newStub(
                            session.attachTo(relayed.channel())).withDeadlineAfter(EXCHANGE_DEADLINE.toMillis(),
                            TimeUnit.MILLISECONDS), id.toHex(),
                    PeerRecords.directCandidates(me, HolePunchResponder.MAX_CANDIDATES), PeerDialer::mayPunchTo,
                    PUNCH_DIAL_TIMEOUT, socket -> {
                        PunchedChannel channel = PunchedChannel.over(socket);
                        if (channel.proves(key, me, id, random)) {
                            kept[0] = channel;
                            return true;
                        }
                        channel.close();
                        return false;
                    }, proved -> { });
            if (outcome.getSuccess() && kept[0] != null) {
                adopt(record, relayed, kept[0]);
                return;
            }
            failure = "no direct connection after " + outcome.getAttempts() + " attempt(s): " + outcome.getFailure();
        } catch (Exception e) {
            failure = e.getMessage();
        }
        if (kept[0] != null) {
            kept[0].close();
        }
        if (checks.isShutdown()) {
            return; // the dialer was closed under the exchange: not a failed punch
        }
        synchronized (upgrades) {
            upgrades.onFailed(id);
        }
        failed.incrementAndGet();
        LOG.log(System.Logger.Level.INFO, "node {0} stays on the relay: {1}", id.toHex(), failure);
    }

    /** The punched connection to the node of {@code record} carries its calls from now on. */
    private void adopt(SignedPeerRecord record, Route relayed, PunchedChannel channel) {
        NodeId id = record.nodeId();
        PunchedChannel previous = punched.put(id, channel);
        if (previous != null) {
            previous.close();
        }
        Route direct = punchedRoute(id, channel);
        routes.compute(id, (k, v) -> new Known(v == null ? record.seq() : Math.max(v.seq(), record.seq()),
                CompletableFuture.completedFuture(direct)));
        synchronized (upgrades) {
            upgrades.onSucceeded(id);
        }
        succeeded.incrementAndGet();
        Long since = relayedSince.remove(id);
        LOG.log(System.Logger.Level.INFO, "node {0}: route upgraded from relay {1} to a hole-punched connection to {2}"
                + " ({3} ms after it was first reached through the relay)", id.toHex(), relayed.via().relay().toHex(),
                direct.via().host() + ":" + direct.via().port(),
                since == null ? "?" : String.valueOf((System.nanoTime() - since) / 1_000_000));
        channel.ended().thenRun(() -> {
            if (!punched.remove(id, channel)) {
                return;
            }
            channel.close();
            // Back to the relay (its bridge and channel were kept); calls on the punched channel fail and are
            // retried by the caller like any other unreachable route.
            routes.computeIfPresent(id, (k, v) -> v.route().getNow(null) == direct
                    ? new Known(v.seq(), CompletableFuture.completedFuture(relayed)) : v);
            synchronized (upgrades) {
                upgrades.onDirectLost(id);
            }
            lost.incrementAndGet();
            relayedSince.putIfAbsent(id, System.nanoTime());
            LOG.log(System.Logger.Level.INFO, "node {0}: the hole-punched connection ended; back on relay {1}",
                    id.toHex(), relayed.via().relay().toHex());
        });
    }

    private static Route punchedRoute(NodeId id, PunchedChannel channel) {
        return new Route(id, Candidate.serverReflexive(channel.remote().getAddress().getHostAddress(),
                channel.remote().getPort()), channel.channel(), true);
    }

    /** Addresses a punch may dial: any unicast IP literal (as the record's own candidates are dialled). */
    private static boolean mayPunchTo(InetAddress ip) {
        return !ip.isAnyLocalAddress() && !ip.isMulticastAddress();
    }

    /** Forgets the route to {@code node} (a call on it failed): the next {@link #route} checks again. */
    public void forget(NodeId node) {
        routes.remove(node);
    }

    private CompletableFuture<Route> find(SignedPeerRecord record) {
        List<Candidate> directs = new ArrayList<>();
        List<Candidate> relayed = new ArrayList<>();
        for (Candidate c : record.record().candidates()) {
            (c.kind() == Candidate.Kind.RELAYED ? relayed : directs).add(c);
        }
        // Every candidate is checked at once (ICE checks all pairs; relayed ones have the lowest priority): a
        // direct path that connects wins; the relay is used once it is ready and no direct check succeeded within
        // DIRECT_PREFERENCE_MS, and a direct path found later replaces it for the next calls.
        CompletableFuture<Candidate> directHit = firstDirect(directs);
        CompletableFuture<Route> relayRoute = relayed.isEmpty() ? null : viaRelay(record, relayed, 0, null);
        CompletableFuture<Route> result = new CompletableFuture<>();
        directHit.thenAccept(hit -> {
            if (hit != null) {
                Route direct = directRoute(record, hit);
                if (!result.complete(direct)) {
                    routes.put(record.nodeId(), new Known(record.seq(), CompletableFuture.completedFuture(direct)));
                }
            } else if (relayRoute == null) {
                result.completeExceptionally(Status.UNAVAILABLE.withDescription("node " + record.nodeId().toHex()
                        + " answers at none of its direct candidates " + directs + " and lists no relay")
                        .asRuntimeException());
            } else {
                relayRoute.whenComplete((r, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        result.complete(r);
                    }
                });
            }
        });
        if (relayRoute != null) {
            relayRoute.thenAccept(r -> CompletableFuture.delayedExecutor(DIRECT_PREFERENCE_MS, TimeUnit.MILLISECONDS,
                    checks).execute(() -> result.complete(r)));
        }
        return result;
    }

    private Route directRoute(SignedPeerRecord record, Candidate hit) {
        String address = new HostPort(hit.host(), hit.port()).toString();
        return new Route(record.nodeId(), hit, direct.computeIfAbsent(address, GrpcChannels::open));
    }

    /** Checks every direct candidate at once; completes with the first to connect, or null when none does. */
    private CompletableFuture<Candidate> firstDirect(List<Candidate> candidates) {
        if (candidates.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Candidate> first = new CompletableFuture<>();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Candidate c : candidates) {
            // allOf waits for these (not the bare checks), so a success is always seen before "none worked".
            all.add(CompletableFuture.supplyAsync(() -> connects(c), checks).thenAccept(ok -> {
                if (ok) {
                    first.complete(c);
                }
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> first.complete(null));
        return first;
    }

    private static boolean connects(Candidate c) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(c.host(), c.port()), DIRECT_CHECK_TIMEOUT_MS);
            return true;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    private CompletableFuture<Route> viaRelay(SignedPeerRecord record, List<Candidate> relayed, int i, Throwable last) {
        if (i >= relayed.size()) {
            return CompletableFuture.failedFuture(last != null ? last : Status.UNAVAILABLE.withDescription("node "
                    + record.nodeId().toHex() + " answers at none of its direct candidates "
                    + record.record().candidates() + " and lists no relay").asRuntimeException());
        }
        Candidate relay = relayed.get(i);
        RelaySession session = relays.computeIfAbsent(relay.relay(),
                id -> new RelaySession(new HostPort(relay.host(), relay.port()), id));
        return session.channel().thenApply(channel -> {
            String key = relay.relay().toHex() + "/" + record.nodeId().toHex();
            RelayBridge bridge = bridges.computeIfAbsent(key, k -> {
                try {
                    return new RelayBridge(record.nodeId(), () -> session.channel().join());
                } catch (IOException e) {
                    throw Status.INTERNAL.withDescription("cannot listen on loopback for a relay bridge: " + e)
                            .asRuntimeException();
                }
            });
            Channel c = direct.computeIfAbsent("bridge/" + key, k -> GrpcChannels.open("127.0.0.1:" + bridge.port()));
            return new Route(record.nodeId(), relay, c);
        }).exceptionallyCompose(e -> viaRelay(record, relayed, i + 1, e));
    }

    /** This node's authenticated session with one relay's gateway, renewed when it expires or fails. */
    private final class RelaySession {
        private final ManagedChannel channel;
        private final NodeId relay;
        private CompletableFuture<PeerHandshake.PeerSession> session;

        RelaySession(HostPort address, NodeId relay) {
            this.channel = GrpcChannels.open(address.toString());
            this.relay = relay;
        }

        synchronized CompletableFuture<Channel> channel() {
            if (session == null || session.isCompletedExceptionally() || (session.isDone()
                    && session.join().expiresAt().isBefore(java.time.Instant.now().plusSeconds(60)))) {
                session = PeerHandshake.authenticateAsync(channel, key, self.get(), relay, random);
            }
            return session.thenApply(s -> s.attachTo(channel));
        }
    }

    @Override
    public void close() {
        punched.values().forEach(PunchedChannel::close);
        bridges.values().forEach(RelayBridge::close);
        direct.values().forEach(ManagedChannel::shutdownNow);
        relays.values().forEach(r -> r.channel.shutdownNow());
        checks.shutdownNow();
    }
}
