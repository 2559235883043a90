package dev.p2psuite.relay;

import dev.p2psuite.grpc.CircuitSocket;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.HostPort;
import dev.p2psuite.grpc.PeerHandshake;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.NodeKeyStore;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.relay.v1.ConnectAccept;
import dev.p2psuite.proto.relay.v1.ConnectRequest;
import dev.p2psuite.proto.relay.v1.DialBackOutcome;
import dev.p2psuite.proto.relay.v1.DialBackRequest;
import dev.p2psuite.proto.relay.v1.DialBackResult;
import dev.p2psuite.proto.relay.v1.IncomingCircuit;
import dev.p2psuite.proto.relay.v1.ListenRequest;
import dev.p2psuite.proto.relay.v1.ListenResponse;
import dev.p2psuite.proto.relay.v1.ObserveAddressRequest;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import dev.p2psuite.proto.relay.v1.ReserveRequest;
import dev.p2psuite.proto.relay.v1.ReserveResponse;
import dev.p2psuite.relay.core.CandidateBook;
import dev.p2psuite.relay.core.DialBackPlan;
import dev.p2psuite.relay.core.RenewalSchedule;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * This node's side of NAT traversal (issue 5), in relay-service because it already speaks RelayPeer and STUN:
 * gathers candidates (host from the node's record, server-reflexive from STUN servers and peers' ObserveAddress),
 * asks a public node to dial them back (libp2p AutoNAT) for the reachability verdict, and, while the node is not
 * publicly reachable, holds reservations on relays (libp2p circuit relay v2 / AutoRelay): renews them, keeps their
 * Listen streams open and splices every announced circuit to the node's own gateway, so peer RPCs arrive there
 * unchanged. The gateway publishes the result in the node's signed record ({@code RelayInternal/Candidates}).
 * All state is confined to one thread ({@link #thread}).
 */
@ApplicationScoped
public class NatTraversal {

    /** Deadline of the unary RelayPeer calls made while gathering. DialBack waits for the relay's own 3 s dials. */
    static final long CALL_TIMEOUT_MS = 8_000;
    /** The first gathering waits for the node's record from the gateway; asked again this often until then. */
    static final Duration WAIT_FOR_RECORD = Duration.ofMillis(500);

    private static final Logger LOG = Logger.getLogger(NatTraversal.class);

    private final RelayConfig.Nat config;
    private final SelfRecordSource selfRecord;
    private final HostPort gateway;
    private final NodeKey key;
    private final SecureRandom random = new SecureRandom();
    private final InstantSource clock = InstantSource.system();
    private final CandidateBook book;
    private final StunBindingClient stun = new StunBindingClient(random);
    private final Map<HostPort, Relay> relays = new LinkedHashMap<>();
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "nat-traversal");
        t.setDaemon(true);
        return t;
    });
    private volatile Snapshot snapshot = new Snapshot(List.of(), CandidateBook.Reachability.UNKNOWN, List.of());
    private volatile boolean stopped;

    /** What RelayInternal reports, published by the owner thread. */
    record Snapshot(List<CandidateBook.Entry> candidates, CandidateBook.Reachability reachability,
                    List<Held> held) {
    }

    /** A reservation this node holds (relay_internal.proto {@code HeldReservation}). */
    record Held(NodeId relay, Candidate relayed, Instant expiresAt, boolean listening, int activeCircuits) {
    }

    NatTraversal(RelayConfig config, SelfRecordSource selfRecord) {
        this.config = config.nat();
        this.selfRecord = selfRecord;
        this.gateway = HostPort.parse(config.relay().gatewayAddress());
        this.key = NodeKeyStore.loadOrCreate(config.dataDir(), random);
        this.book = new CandidateBook(clock, this.config.candidateLifetime());
        for (String r : this.config.relays().orElse(List.of())) {
            HostPort address = HostPort.parse(r);
            relays.put(address, new Relay(address));
        }
    }

    void onStart(@Observes StartupEvent event) {
        thread.execute(this::gather);
    }

    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
        thread.shutdownNow();
        relays.values().forEach(Relay::close);
    }

    /** This node's key (for the hole-punch initiator's PeerAuth sessions). */
    NodeKey key() {
        return key;
    }

    Snapshot snapshot() {
        return snapshot;
    }

    /** Gathers again now (RelayInternal/Candidates with refresh). */
    CompletableFuture<Void> refresh() {
        return CompletableFuture.runAsync(this::gatherOnce, thread);
    }

    private void gather() {
        if (stopped) {
            return;
        }
        Duration next = config.gatherInterval();
        try {
            if (selfRecord.current().isEmpty()) {
                next = WAIT_FOR_RECORD;
            } else {
                gatherOnce();
            }
        } catch (RuntimeException e) {
            LOG.warnf("gathering candidates failed: %s", e.toString());
        }
        schedule(this::gather, next);
    }

    private void schedule(Runnable task, Duration delay) {
        if (!stopped) {
            try {
                thread.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // shutting down
            }
        }
    }

    /** One round (on {@link #thread}): hosts, STUN, observed addresses, a dial-back, reservations. */
    private void gatherOnce() {
        SignedPeerRecord me = selfRecord.current().orElse(null);
        if (me == null) {
            return;
        }
        List<Candidate> hosts = me.record().candidates().stream().filter(c -> c.kind() == Candidate.Kind.HOST)
                .toList();
        book.setHosts(hosts, CandidateBook.Source.CONFIGURED);
        int port = hosts.isEmpty() ? gateway.port() : hosts.get(0).port();
        for (String s : config.stunServers().orElse(List.of())) {
            HostPort server = HostPort.parse(s);
            try {
                stun.bind(new InetSocketAddress(server.host(), server.port()), port).ifPresentOrElse(m -> {
                    // From another local port, only the mapped IP says something about the gateway's TCP port.
                    int mappedPort = m.fromPreferredPort() ? m.mapped().getPort() : port;
                    addReflexive(hosts, m.mapped().getAddress().getHostAddress(), mappedPort,
                            CandidateBook.Source.STUN, server.toString());
                }, () -> LOG.debugf("STUN server %s did not answer", server));
            } catch (java.io.IOException e) {
                LOG.debugf("STUN to %s failed: %s", server, e.getMessage());
            }
        }
        Relay auto = null;
        for (Relay relay : relays.values()) {
            try {
                var seen = relay.stub().observeAddress(ObserveAddressRequest.getDefaultInstance());
                // The observed port belongs to this service's own outbound connection; the gateway listens on
                // its advertised port, which a port-preserving NAT maps to the same number.
                addReflexive(hosts, seen.getHost(), port, CandidateBook.Source.OBSERVED, relay.id().toHex());
                if (auto == null) {
                    auto = relay;
                }
            } catch (RuntimeException e) {
                LOG.debugf("relay %s: ObserveAddress failed: %s", relay.address, e.getMessage());
            }
        }
        if (auto != null) {
            dialBack(auto);
        }
        boolean needRelay = book.reachability() != CandidateBook.Reachability.PUBLIC;
        int holding = 0;
        for (Relay relay : relays.values()) {
            if (needRelay && holding < config.maxHeldReservations()) {
                relay.hold();
                holding++;
            } else {
                relay.release();
            }
        }
        publish();
    }

    private void addReflexive(List<Candidate> hosts, String ip, int port, CandidateBook.Source source, String by) {
        Candidate c = Candidate.serverReflexive(ip, port);
        // RFC 8445 §5.1.3: a reflexive candidate equal to a host candidate is redundant.
        if (hosts.stream().noneMatch(h -> h.host().equals(ip) && h.port() == port)) {
            book.reflexive(c, source, by);
        }
    }

    private void dialBack(Relay relay) {
        List<Candidate> direct = book.direct(DialBackPlan.MAX_CANDIDATES);
        if (direct.isEmpty()) {
            return;
        }
        DialBackRequest.Builder request = DialBackRequest.newBuilder();
        direct.forEach(c -> request.addCandidates(PeerRecords.toProto(c)));
        try {
            var answer = relay.stub().withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .dialBack(request.build());
            List<Candidate> reached = new ArrayList<>();
            List<Candidate> unreached = new ArrayList<>();
            for (DialBackResult r : answer.getResultsList()) {
                Candidate c = fromProto(r.getCandidate());
                if (r.getOutcome() == DialBackOutcome.DIAL_BACK_OUTCOME_REACHABLE) {
                    reached.add(c);
                } else if (r.getOutcome() == DialBackOutcome.DIAL_BACK_OUTCOME_UNREACHABLE
                        || r.getOutcome() == DialBackOutcome.DIAL_BACK_OUTCOME_WRONG_NODE) {
                    unreached.add(c);
                }
            }
            if (book.dialBackRound(reached, unreached)) {
                LOG.infof("reachability: %s (dial-back by relay %s: reached %s, not reached %s)",
                        book.reachability(), relay.address, reached, unreached);
            }
        } catch (RuntimeException e) {
            LOG.debugf("relay %s: DialBack failed: %s", relay.address, e.getMessage());
        }
    }

    private static Candidate fromProto(dev.p2psuite.proto.common.v1.Candidate c) {
        NodeId relay = c.getRelayNodeId().isEmpty() ? null : NodeId.of(c.getRelayNodeId().toByteArray());
        return new Candidate(Candidate.Kind.fromCode(c.getKindValue()), c.getHost(), c.getPort(), relay);
    }

    /** Publishes the book (on {@link #thread}): relayed candidates of the reservations with a Listen open. */
    private void publish() {
        List<Candidate> relayed = new ArrayList<>();
        List<Held> held = new ArrayList<>();
        for (Relay r : relays.values()) {
            if (r.relayed != null) {
                held.add(new Held(r.id, r.relayed, r.expiresAt, r.listening, r.circuits.get()));
                if (r.listening) {
                    relayed.add(r.relayed);
                }
            }
        }
        book.setRelayed(relayed);
        snapshot = new Snapshot(book.entries(), book.reachability(), held);
    }

    /** One relay this node asks (observed address, dial-back) and may hold a reservation on. Thread: owner's. */
    private final class Relay {
        final HostPort address;
        final ManagedChannel channel;
        volatile PeerHandshake.PeerSession session;
        volatile NodeId id;
        boolean wanted;
        Candidate relayed;
        Instant expiresAt;
        boolean listening;
        ClientCall<ListenRequest, ListenResponse> listen;
        int failures;
        long generation;
        final AtomicInteger circuits = new AtomicInteger();

        Relay(HostPort address) {
            this.address = address;
            this.channel = GrpcChannels.open(address.toString());
        }

        NodeId id() {
            stub();
            return id;
        }

        /** A blocking stub with a valid session (handshake again when missing or near expiry). */
        RelayPeerGrpc.RelayPeerBlockingStub stub() {
            return RelayPeerGrpc.newBlockingStub(sessionChannel())
                    .withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }

        Channel sessionChannel() {
            if (session == null || session.expiresAt().isBefore(clock.instant().plusSeconds(60))) {
                try {
                    session = PeerHandshake.authenticate(channel, key, selfRecord.require(), id, random);
                } catch (dev.p2psuite.identity.AuthenticationException e) {
                    throw Status.UNAUTHENTICATED.withDescription("relay " + address + ": " + e.getMessage())
                            .asRuntimeException();
                }
                id = session.responder().nodeId();
            }
            return session.attachTo(channel);
        }

        /** Holds a reservation: reserve (or renew) and keep a Listen stream open. */
        void hold() {
            if (wanted) {
                return;
            }
            wanted = true;
            reserve(++generation);
        }

        void release() {
            if (!wanted) {
                return;
            }
            wanted = false;
            generation++;
            if (listen != null) {
                listen.cancel("reachable directly: reservation released", null);
                listen = null;
            }
            listening = false;
            relayed = null;
        }

        private void reserve(long gen) {
            if (!wanted || gen != generation || stopped) {
                return;
            }
            try {
                Instant asked = clock.instant();
                ReserveResponse granted = stub().reserve(ReserveRequest.getDefaultInstance());
                relayed = fromProto(granted.getRelayedCandidate());
                expiresAt = Instant.ofEpochMilli(granted.getExpiresAtUnixMs());
                failures = 0;
                if (listen == null) {
                    startListen(gen);
                }
                publish(); // the new expiry
                Duration renew = Duration.between(clock.instant(), RenewalSchedule.renewAt(asked, expiresAt));
                schedule(() -> reserve(gen), renew.isNegative() ? Duration.ZERO : renew);
            } catch (RuntimeException e) {
                failures++;
                Duration retry = RenewalSchedule.retryDelay(failures);
                LOG.infof("relay %s: no reservation (%s); retrying in %s", address, e.getMessage(), retry);
                schedule(() -> reserve(gen), retry);
            }
        }

        private void startListen(long gen) {
            ClientCall<ListenRequest, ListenResponse> call = sessionChannel().newCall(
                    RelayPeerGrpc.getListenMethod(), CallOptions.DEFAULT);
            listen = call;
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(ListenResponse message) {
                    call.request(1);
                    thread.execute(() -> {
                        if (gen == generation && !listening) {
                            listening = true;
                            LOG.infof("relay %s: reservation held, reachable through it as %s", address, relayed);
                            publish();
                        }
                    });
                    if (message.hasIncoming()) {
                        accept(message.getIncoming());
                    }
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    thread.execute(() -> {
                        if (listen != call) {
                            return;
                        }
                        listen = null;
                        listening = false;
                        publish();
                        if (wanted && gen == generation) {
                            failures++;
                            Duration retry = RenewalSchedule.retryDelay(failures);
                            LOG.infof("relay %s: Listen ended (%s); reserving again in %s", address, status, retry);
                            generation++;
                            long next = generation;
                            schedule(() -> reserve(next), retry);
                        }
                    });
                }
            }, new Metadata());
            call.sendMessage(ListenRequest.getDefaultInstance());
            call.halfClose();
            call.request(1);
        }

        /** Accepts an announced circuit and splices it to this node's own gateway. */
        private void accept(IncomingCircuit incoming) {
            Socket socket = new Socket();
            try {
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(gateway.host(), gateway.port()), 2_000);
            } catch (java.io.IOException e) {
                LOG.warnf("cannot reach this node's gateway at %s for a relayed circuit: %s", gateway, e.getMessage());
                return; // the relay tells the initiator UNAVAILABLE after its accept timeout
            }
            Channel channel;
            try {
                channel = session.attachTo(this.channel);
            } catch (RuntimeException e) {
                return;
            }
            CircuitSocket circuit = CircuitSocket.start(channel, ConnectRequest.newBuilder().setAccept(
                    ConnectAccept.newBuilder().setCircuitId(incoming.getCircuitId())).build(), socket);
            circuits.incrementAndGet();
            circuit.closed().whenComplete((s, e) -> circuits.decrementAndGet());
        }

        void close() {
            if (listen != null) {
                listen.cancel("shutting down", null);
            }
            channel.shutdownNow();
        }
    }
}
