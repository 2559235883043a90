package dev.p2psuite.relay;

import dev.p2psuite.grpc.CallThread;
import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.relay.v1.ConnectAccept;
import dev.p2psuite.proto.relay.v1.ConnectOpen;
import dev.p2psuite.proto.relay.v1.IncomingCircuit;
import dev.p2psuite.proto.relay.v1.ListenHeartbeat;
import dev.p2psuite.proto.relay.v1.ListenResponse;
import dev.p2psuite.proto.relay.v1.ReserveResponse;
import dev.p2psuite.relay.core.AddressPolicy;
import dev.p2psuite.relay.core.CircuitId;
import dev.p2psuite.relay.core.IpLiterals;
import dev.p2psuite.relay.core.RelayLimits;
import dev.p2psuite.relay.core.RelayTable;
import dev.p2psuite.relay.core.RelayTable.CircuitRefusal;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The relay as a running service: the core {@link RelayTable} and {@link AddressPolicy}, the open Listen streams,
 * the circuits waiting to be accepted and those spliced, the periodic sweep and heartbeats, and outbound dials.
 * RPC handlers ({@link RelayServices}) validate and call in here; everything that touches a call runs on that
 * call's own thread.
 */
@ApplicationScoped
public class RelayRuntime {

    private static final Logger LOG = Logger.getLogger(RelayRuntime.class);

    private final RelayConfig.Relay config;
    private final RelayTable table;
    private final AddressPolicy policy;
    private final SelfRecordSource self;
    private final Vertx vertx;
    private final SecureRandom random = new SecureRandom();
    private final ChallengeProbe probe = new ChallengeProbe(random);
    private final Semaphore dials;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(daemon("relay-timer"));
    /** Name lookups of address circuits: blocking, so off the event loops. */
    private final ExecutorService resolver = Executors.newFixedThreadPool(2, daemon("relay-resolver"));
    private final Map<NodeId, Listener> listeners = new ConcurrentHashMap<>();
    private final Map<CircuitId, Waiting> waiting = new ConcurrentHashMap<>();
    private final Map<CircuitId, Splice> spliced = new ConcurrentHashMap<>();
    private volatile NetClient netClient;

    /** An initiator waiting for its target: the target's accept, or the relay's dial for an address circuit. */
    private record Waiting(ConnectCall call, NodeId target, boolean address) {
    }

    RelayRuntime(RelayConfig config, SelfRecordSource self, RelayClock clock, MeterRegistry registry, Vertx vertx) {
        this.config = config.relay();
        this.self = self;
        this.vertx = vertx;
        RelayConfig.Relay c = config.relay();
        this.table = new RelayTable(new RelayLimits(c.reservationLifetime(), c.maxReservations(),
                c.maxReservationsPerIp(), c.maxCircuitsPerReservation(), c.maxCircuits(), c.circuitMaxBytes(),
                c.circuitMaxDuration(), c.acceptTimeout()), clock, random);
        this.policy = new AddressPolicy(c.allowPrivateTargets());
        this.dials = new Semaphore(Math.max(1, c.maxConcurrentDials()));
        RelayMetrics.register(registry, table);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    void onStart(@Observes StartupEvent event) {
        long sweep = config.sweepInterval().toMillis();
        timer.scheduleWithFixedDelay(guard(this::sweep), sweep, sweep, TimeUnit.MILLISECONDS);
        long beat = config.listenHeartbeatInterval().toMillis();
        timer.scheduleWithFixedDelay(guard(this::heartbeat), beat, beat, TimeUnit.MILLISECONDS);
        LOG.infof("relay %s: %d reservations (%d per IP), %d circuits, %d bytes and %s per circuit, private targets %s",
                config.circuitsEnabled() ? "on" : "off", config.maxReservations(), config.maxReservationsPerIp(),
                config.maxCircuits(), config.circuitMaxBytes(), config.circuitMaxDuration(),
                config.allowPrivateTargets() ? "allowed" : "refused");
    }

    void onStop(@Observes ShutdownEvent event) {
        timer.shutdownNow();
        resolver.shutdownNow();
        Status down = Status.UNAVAILABLE.withDescription("relay-service is shutting down");
        spliced.values().forEach(s -> s.close(down, down, RelayTable.CloseReason.FAILED));
        waiting.values().forEach(w -> w.call().thread.execute(() -> w.call().finish(down)));
        listeners.values().forEach(l -> l.end(down));
        NetClient client = netClient;
        if (client != null) {
            client.close();
        }
    }

    private static Runnable guard(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.warn("relay housekeeping failed", e);
            }
        };
    }

    RelayTable table() {
        return table;
    }

    AddressPolicy policy() {
        return policy;
    }

    SelfRecordSource self() {
        return self;
    }

    RelayConfig.Relay config() {
        return config;
    }

    private void requireEnabled() {
        if (!config.circuitsEnabled()) {
            throw Status.FAILED_PRECONDITION.withDescription("this node does not offer relaying "
                    + "(p2p.relay.circuits-enabled=false); reserve on another relay").asRuntimeException();
        }
    }

    // ---- Reserve and Listen ----------------------------------------------------------------------------------

    /** RelayPeer/Reserve: grants or renews the caller's reservation. */
    ReserveResponse reserve(Caller caller) {
        requireEnabled();
        caller.requireValidRecord("reserve a relay slot");
        InetAddress source = caller.requireIp();
        SignedPeerRecord me = self.require();
        Candidate at = SelfRecordSource.publicAddress(me).orElseThrow(() -> Status.UNAVAILABLE.withDescription(
                "this node's record lists no address to publish as a relayed candidate").asRuntimeException());
        RelayTable.ReserveOutcome outcome = table.reserve(caller.id(), source);
        if (outcome instanceof RelayTable.ReserveOutcome.Refused refused) {
            throw Status.RESOURCE_EXHAUSTED.withDescription(refused.message()).asRuntimeException();
        }
        RelayTable.Reservation r = ((RelayTable.ReserveOutcome.Granted) outcome).reservation();
        RelayLimits limits = table.limits();
        return ReserveResponse.newBuilder()
                .setExpiresAtUnixMs(r.expiresAt().toEpochMilli())
                .setCircuitMaxBytes(limits.circuitMaxBytes())
                .setCircuitMaxSeconds((int) Math.min(Integer.MAX_VALUE, limits.circuitMaxDuration().toSeconds()))
                .setMaxCircuits(limits.maxCircuitsPerReservation())
                .setRelayedCandidate(dev.p2psuite.proto.common.v1.Candidate.newBuilder()
                        .setKind(dev.p2psuite.proto.common.v1.CandidateKind.CANDIDATE_KIND_RELAYED)
                        .setHost(at.host())
                        .setPort(at.port())
                        .setRelayNodeId(ByteString.copyFrom(me.nodeId().bytes())))
                .build();
    }

    /** RelayPeer/Listen: the reserving node's stream of incoming circuits and heartbeats. */
    void listen(Caller caller, StreamObserver<ListenResponse> responses) {
        requireEnabled();
        NodeId node = caller.id();
        RelayTable.Reservation r = table.reservation(node).orElseThrow(() -> Status.NOT_FOUND.withDescription("node "
                + node.toHex() + " holds no reservation on this relay; call Reserve first").asRuntimeException());
        Listener listener = new Listener(node, (ServerCallStreamObserver<ListenResponse>) responses);
        listener.out.setOnCancelHandler(() -> {
            if (listeners.remove(node, listener)) {
                table.setListening(node, false);
            }
        });
        Listener old = listeners.put(node, listener);
        table.setListening(node, true);
        if (old != null) {
            old.end(Status.OK); // relay_peer.proto: a new Listen replaces the old, which ends with OK
        }
        listener.send(heartbeat(r.expiresAt().toEpochMilli()));
    }

    private static ListenResponse heartbeat(long expiresAtMs) {
        return ListenResponse.newBuilder().setHeartbeat(ListenHeartbeat.newBuilder()
                .setReservationExpiresAtUnixMs(expiresAtMs)).build();
    }

    /** A Listen stream; all sends on its own thread. */
    private static final class Listener {
        final NodeId node;
        final ServerCallStreamObserver<ListenResponse> out;
        final java.util.concurrent.Executor thread = CallThread.current();
        boolean finished;

        Listener(NodeId node, ServerCallStreamObserver<ListenResponse> out) {
            this.node = node;
            this.out = out;
        }

        /** Sends {@code event}; a heartbeat is skipped while the stream is backed up. */
        void send(ListenResponse event) {
            thread.execute(() -> {
                if (finished || out.isCancelled()
                        || (event.getEventCase() == ListenResponse.EventCase.HEARTBEAT && !out.isReady())) {
                    return;
                }
                out.onNext(event);
            });
        }

        void end(Status status) {
            thread.execute(() -> {
                if (finished) {
                    return;
                }
                finished = true;
                try {
                    if (status.isOk()) {
                        out.onCompleted();
                    } else {
                        out.onError(status.asRuntimeException());
                    }
                } catch (IllegalStateException e) {
                    // cancelled meanwhile
                }
            });
        }
    }

    // ---- Connect ---------------------------------------------------------------------------------------------

    /** An initiator's {@code open} (on its call's thread). */
    void open(ConnectCall call, ConnectOpen open) {
        NodeId target;
        try {
            requireEnabled();
            call.caller.requireValidRecord("open a circuit");
            target = PeerRecords.nodeId(open.getTargetNodeId(), "open.target_node_id");
            boolean hasHost = !open.getTargetHost().isEmpty();
            if (hasHost ? open.getTargetPort() < 1 || open.getTargetPort() > 65_535 : open.getTargetPort() != 0) {
                throw new IllegalArgumentException("open.target_port must be 1..65535 with a target_host, 0 without;"
                        + " got " + open.getTargetPort());
            }
            if (hasHost && table.reservation(target).isEmpty()) {
                openToAddress(call, target, open.getTargetHost(), open.getTargetPort());
                return;
            }
        } catch (StatusRuntimeException e) {
            call.finish(e.getStatus());
            return;
        } catch (IllegalArgumentException e) {
            call.finish(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
            return;
        }
        RelayTable.OpenOutcome outcome = table.openCircuit(call.caller.id(), target);
        if (outcome instanceof RelayTable.OpenOutcome.Refused refused) {
            call.finish(status(refused.reason(), refused.message()));
            return;
        }
        RelayTable.OpenOutcome.Pending pending = (RelayTable.OpenOutcome.Pending) outcome;
        call.pending(pending.id());
        waiting.put(pending.id(), new Waiting(call, target, false));
        Listener listener = listeners.get(target);
        if (listener == null) { // its Listen ended between the check and now
            table.abandon(pending.id(), CircuitRefusal.NOT_LISTENING);
            waiting.remove(pending.id());
            call.finish(Status.UNAVAILABLE.withDescription("node " + target.toHex() + " has no Listen stream open"));
            return;
        }
        listener.send(ListenResponse.newBuilder().setIncoming(IncomingCircuit.newBuilder()
                .setCircuitId(ByteString.copyFrom(pending.id().bytes()))
                .setInitiatorNodeId(ByteString.copyFrom(call.caller.id().bytes()))
                .setAcceptByUnixMs(pending.acceptBy().toEpochMilli())).build());
    }

    /** The reserving node's {@code accept} (on its call's thread): joins the two calls. */
    void accept(ConnectCall call, ConnectAccept accept) {
        CircuitId id;
        try {
            requireEnabled();
            call.caller.requireValidRecord("accept a circuit");
            id = CircuitId.of(accept.getCircuitId().toByteArray());
        } catch (StatusRuntimeException e) {
            call.finish(e.getStatus());
            return;
        } catch (IllegalArgumentException e) {
            call.finish(Status.INVALID_ARGUMENT.withDescription("accept." + e.getMessage()));
            return;
        }
        RelayTable.AcceptOutcome outcome = table.accept(id, call.caller.id());
        if (outcome instanceof RelayTable.AcceptOutcome.Refused refused) {
            call.finish(Status.NOT_FOUND.withDescription(refused.message()));
            return;
        }
        RelayTable.Circuit circuit = ((RelayTable.AcceptOutcome.Accepted) outcome).circuit();
        Waiting initiator = waiting.remove(id);
        if (initiator == null) {
            table.close(id, RelayTable.CloseReason.CANCELLED);
            call.finish(Status.UNAVAILABLE.withDescription("the initiator of circuit " + id.toHex() + " left"));
            return;
        }
        Splice splice = new Splice(this, circuit, initiator.call(), call);
        spliced.put(id, splice);
        splice.start();
    }

    /** The initiator left before its circuit opened. */
    void abandon(CircuitId id, ConnectCall call) {
        Waiting w = waiting.get(id);
        if (w != null && w.call() == call) {
            table.close(id, RelayTable.CloseReason.CANCELLED);
            waiting.remove(id, w);
        }
    }

    /** A spliced circuit ended. */
    void circuitClosed(Splice splice, RelayTable.CloseReason reason) {
        spliced.remove(splice.circuit.id(), splice);
        table.close(splice.circuit.id(), reason);
    }

    /**
     * TURN-style circuit to {@code target} at {@code host:port}: resolved here (so the address checked is the one
     * dialled), refused into blocked ranges, checked by PeerAuth/Challenge to be {@code target}, then connected.
     */
    private void openToAddress(ConnectCall call, NodeId target, String host, int port) {
        if (!config.addressTargetsEnabled()) {
            throw Status.NOT_FOUND.withDescription("node " + target.toHex() + " holds no reservation on this relay, "
                    + "and this relay does not dial addresses (p2p.relay.address-targets-enabled=false)")
                    .asRuntimeException();
        }
        RelayTable.OpenOutcome outcome = table.openAddressCircuit(call.caller.id(), target);
        if (outcome instanceof RelayTable.OpenOutcome.Refused refused) {
            throw status(refused.reason(), refused.message()).asRuntimeException();
        }
        CircuitId id = ((RelayTable.OpenOutcome.Pending) outcome).id();
        call.pending(id);
        waiting.put(id, new Waiting(call, target, true));
        CompletableFuture.supplyAsync(() -> allowedAddress(host), resolver)
                .thenCompose(address -> probe.check(new InetSocketAddress(address, port), target, config.dialTimeout())
                        .thenCompose(result -> {
                            if (result.outcome() != ChallengeProbe.Outcome.REACHABLE) {
                                throw Status.UNAVAILABLE.withDescription("node " + target.toHex() + " could not be "
                                        + "reached at " + host + ":" + port + " (" + result.detail() + ")")
                                        .asRuntimeException();
                            }
                            return connect(target, address, port);
                        }))
                .whenComplete((socket, failure) -> {
                    if (failure != null) {
                        Throwable e = failure instanceof CompletionException && failure.getCause() != null
                                ? failure.getCause() : failure;
                        Status s = e instanceof StatusRuntimeException sre ? sre.getStatus()
                                : Status.UNAVAILABLE.withDescription("could not connect to node " + target.toHex()
                                + " at " + host + ":" + port + ": " + e);
                        table.abandon(id, s.getCode() == Status.Code.PERMISSION_DENIED ? CircuitRefusal.BLOCKED_ADDRESS
                                : CircuitRefusal.TARGET_UNREACHABLE);
                        if (waiting.remove(id) != null) {
                            call.thread.execute(() -> call.finish(s));
                        }
                        return;
                    }
                    RelayTable.AcceptOutcome opened = table.connected(id);
                    Waiting w = waiting.remove(id);
                    if (!(opened instanceof RelayTable.AcceptOutcome.Accepted accepted) || w == null) {
                        table.close(id, RelayTable.CloseReason.CANCELLED);
                        socket.thread.execute(() -> socket.finish(Status.CANCELLED));
                        return;
                    }
                    Splice splice = new Splice(this, accepted.circuit(), call, socket);
                    spliced.put(id, splice);
                    splice.start();
                });
    }

    /** The first address of {@code host} (a literal, or a name looked up here) that the policy allows. */
    private InetAddress allowedAddress(String host) {
        List<InetAddress> addresses = new ArrayList<>();
        Optional<InetAddress> literal = IpLiterals.parse(host);
        if (literal.isPresent()) {
            addresses.add(literal.get());
        } else {
            try {
                addresses.addAll(List.of(InetAddress.getAllByName(host)));
            } catch (UnknownHostException e) {
                throw Status.UNAVAILABLE.withDescription("open.target_host '" + host + "' does not resolve")
                        .asRuntimeException();
            }
        }
        String refusal = null;
        for (InetAddress a : addresses) {
            AddressPolicy.Decision d = policy.check(a);
            if (d.allowed()) {
                return a;
            }
            refusal = refusal == null ? d.reason() : refusal;
        }
        throw Status.PERMISSION_DENIED.withDescription("open.target_host '" + host + "' is refused: " + refusal)
                .asRuntimeException();
    }

    private CompletableFuture<SocketEnd> connect(NodeId target, InetAddress address, int port) {
        CompletableFuture<SocketEnd> result = new CompletableFuture<>();
        netClient().connect(port, address.getHostAddress()).onComplete(ar -> {
            if (ar.succeeded()) {
                result.complete(new SocketEnd(target, ar.result())); // on the socket's own thread
            } else {
                result.completeExceptionally(Status.UNAVAILABLE.withDescription("could not connect to node "
                        + target.toHex() + " at " + address.getHostAddress() + ":" + port + ": " + ar.cause())
                        .asRuntimeException());
            }
        });
        return result;
    }

    private NetClient netClient() {
        NetClient c = netClient;
        if (c == null) {
            synchronized (this) {
                if (netClient == null) {
                    netClient = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true)
                            .setConnectTimeout((int) config.dialTimeout().toMillis()));
                }
                c = netClient;
            }
        }
        return c;
    }

    static Status status(CircuitRefusal reason, String message) {
        Status base = switch (reason) {
            case NO_RESERVATION, UNKNOWN_CIRCUIT -> Status.NOT_FOUND;
            case NOT_LISTENING, TARGET_UNREACHABLE, ACCEPT_TIMEOUT -> Status.UNAVAILABLE;
            case TARGET_LIMIT, TOTAL_LIMIT -> Status.RESOURCE_EXHAUSTED;
            case SELF -> Status.INVALID_ARGUMENT;
            case BLOCKED_ADDRESS -> Status.PERMISSION_DENIED;
        };
        return base.withDescription(message);
    }

    // ---- Dials (DialBack, hole punching) ----------------------------------------------------------------------

    /** Takes {@code n} of the {@code p2p.relay.max-concurrent-dials} slots; false, taking none, if not free. */
    boolean reserveDials(int n) {
        return n == 0 || dials.tryAcquire(n);
    }

    /** Gives back {@code n} slots taken by {@link #reserveDials} (dials made without {@link #dialReserved}). */
    void releaseDials(int n) {
        dials.release(n);
    }

    /** Dials {@code address} in a slot taken by {@link #reserveDials}, released when done; checks {@code expected}. */
    CompletableFuture<ChallengeProbe.Result> dialReserved(InetSocketAddress address, NodeId expected) {
        CompletableFuture<ChallengeProbe.Result> f;
        try {
            f = probe.check(address, expected, config.dialTimeout());
        } catch (RuntimeException e) {
            dials.release();
            throw e;
        }
        return f.whenComplete((r, e) -> dials.release());
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    // ---- Housekeeping ----------------------------------------------------------------------------------------

    /** Ends what expired: reservations (their Listen ends with OK), unaccepted circuits, circuits over time. */
    void sweep() {
        RelayTable.Sweep sweep = table.sweep();
        for (NodeId node : sweep.expiredReservations()) {
            Listener l = listeners.get(node);
            if (l != null && table.reservation(node).isEmpty() && listeners.remove(node, l)) {
                l.end(Status.OK);
            }
        }
        for (CircuitId id : sweep.acceptTimedOut()) {
            Waiting w = waiting.remove(id);
            if (w != null) {
                Status s = Status.UNAVAILABLE.withDescription(w.address()
                        ? "the relay could not reach node " + w.target().toHex() + " within "
                        + config.acceptTimeout().toSeconds() + " s"
                        : "node " + w.target().toHex() + " did not accept the circuit within "
                        + config.acceptTimeout().toMillis() + " ms (p2p.relay.accept-timeout)");
                w.call().thread.execute(() -> w.call().finish(s));
            }
        }
        for (CircuitId id : sweep.overTime()) {
            Splice s = spliced.remove(id);
            if (s != null) {
                Status over = Status.RESOURCE_EXHAUSTED.withDescription("circuit " + id.toHex() + " used up its time "
                        + "budget of " + s.circuit.budget().maxDuration().toSeconds() + " s "
                        + "(p2p.relay.circuit-max-duration); open a new circuit or connect directly");
                s.close(over, over, RelayTable.CloseReason.OVER_TIME);
            }
        }
    }

    /** Keeps idle Listen streams alive (relay_peer.proto: every 15 s), with the reservation's current expiry. */
    void heartbeat() {
        for (Listener l : listeners.values()) {
            table.reservation(l.node).ifPresent(r -> l.send(heartbeat(r.expiresAt().toEpochMilli())));
        }
    }
}
