package dev.p2psuite.grpc;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * How this node reaches another node's gateway, ICE style (RFC 8445 §6–7, simplified to one component over TCP):
 * the direct candidates of its signed record (host, server-reflexive) are checked in parallel with a short
 * connect timeout and the first that connects is used; when none does, the record's RELAYED candidates are used
 * through a circuit (libp2p circuit relay v2) behind a local {@link RelayBridge}. What worked is remembered per
 * node and record version until {@link #forget(NodeId)} (a call failed). Channels are kept for the process's life
 * (STACK.md: reuse channels).
 */
public final class PeerDialer implements AutoCloseable {

    /** Deadline of one direct connectivity check (a TCP connect); short, as ICE checks are. */
    public static final int DIRECT_CHECK_TIMEOUT_MS = 1_500;
    /**
     * How long a ready relay waits for a direct check to succeed before it is used (like Happy Eyeballs, RFC 8305:
     * prefer the better path without waiting out its timeout).
     */
    public static final int DIRECT_PREFERENCE_MS = 250;

    /** How a node is reached: {@code via} is the candidate that worked. */
    public record Route(NodeId node, Candidate via, Channel channel) {
        public boolean relayed() {
            return via.kind() == Candidate.Kind.RELAYED;
        }
    }

    private record Known(long seq, CompletableFuture<Route> route) {
    }

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

    /** @param self this node's current signed record (for the handshake with relays) */
    public PeerDialer(NodeKey key, Supplier<SignedPeerRecord> self, SecureRandom random) {
        this.key = key;
        this.self = self;
        this.random = random;
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
            return known.route();
        }
        CompletableFuture<Route> found = find(record);
        routes.put(id, new Known(record.seq(), found));
        return found;
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
        bridges.values().forEach(RelayBridge::close);
        direct.values().forEach(ManagedChannel::shutdownNow);
        relays.values().forEach(r -> r.channel.shutdownNow());
        checks.shutdownNow();
    }
}
