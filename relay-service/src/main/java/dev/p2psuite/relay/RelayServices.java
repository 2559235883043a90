package dev.p2psuite.relay;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.HostPort;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.proto.common.v1.CandidateKind;
import dev.p2psuite.proto.common.v1.Reachability;
import dev.p2psuite.proto.relay.v1.CandidateSource;
import dev.p2psuite.proto.relay.v1.CandidatesRequest;
import dev.p2psuite.proto.relay.v1.CandidatesResponse;
import dev.p2psuite.proto.relay.v1.GatheredCandidate;
import dev.p2psuite.proto.relay.v1.HeldReservation;
import dev.p2psuite.relay.core.CandidateBook;
import dev.p2psuite.proto.relay.v1.ConnectRequest;
import dev.p2psuite.proto.relay.v1.ConnectResponse;
import dev.p2psuite.proto.relay.v1.DialBackOutcome;
import dev.p2psuite.proto.relay.v1.DialBackRequest;
import dev.p2psuite.proto.relay.v1.DialBackResponse;
import dev.p2psuite.proto.relay.v1.DialBackResult;
import dev.p2psuite.proto.relay.v1.HolePunchPeerRequest;
import dev.p2psuite.proto.relay.v1.HolePunchPeerResponse;
import dev.p2psuite.proto.relay.v1.HolePunchRequest;
import dev.p2psuite.proto.relay.v1.HolePunchResponse;
import dev.p2psuite.proto.relay.v1.ListenRequest;
import dev.p2psuite.proto.relay.v1.ListenResponse;
import dev.p2psuite.proto.relay.v1.ObserveAddressRequest;
import dev.p2psuite.proto.relay.v1.ObserveAddressResponse;
import dev.p2psuite.proto.relay.v1.RelayInternalGrpc;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import dev.p2psuite.proto.relay.v1.ReservationsRequest;
import dev.p2psuite.proto.relay.v1.ReservationsResponse;
import dev.p2psuite.proto.relay.v1.ReserveRequest;
import dev.p2psuite.proto.relay.v1.ReserveResponse;
import dev.p2psuite.proto.relay.v1.ServedReservation;
import dev.p2psuite.proto.relay.v1.StatsRequest;
import dev.p2psuite.proto.relay.v1.StatsResponse;
import dev.p2psuite.proto.relay.v1.StunInfoRequest;
import dev.p2psuite.proto.relay.v1.StunInfoResponse;
import dev.p2psuite.relay.core.DialBackPlan;
import dev.p2psuite.relay.core.RelayTable;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ServerCalls;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * The gRPC faces of relay-service (issue 5): RelayPeer (observed address, dial-back, reservations, circuits, hole
 * punching) and RelayInternal (reservations, stats, STUN). Handlers validate and map; the rules are in
 * {@code relay-core}, the running state in {@link RelayRuntime}; the node's own candidates and held reservations
 * in {@link NatTraversal}.
 */
final class RelayServices {

    private RelayServices() {
    }

    /** Node-to-node relay and hole-punch coordination, reached through the node's gateway. */
    @GrpcService
    static class RelayPeerService implements BindableService {

        private final RelayRuntime relay;

        RelayPeerService(RelayRuntime relay) {
            this.relay = relay;
        }

        /** What ObserveAddress accepts as the host of {@code p2p-peer-addr}: an IPv4 or IPv6 literal. */
        private static final Pattern IP_LITERAL =
                Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[\\w.-]+)?");

        @Override
        public ServerServiceDefinition bindService() {
            return withRawConnect(RelayPeerGrpc.bindService(new RelayPeerGrpc.AsyncService() {
                @Override
                public void observeAddress(ObserveAddressRequest request,
                                           StreamObserver<ObserveAddressResponse> response) {
                    RelayPeerService.observeAddress(response);
                }

                @Override
                public void dialBack(DialBackRequest request, StreamObserver<DialBackResponse> response) {
                    RelayPeerService.this.dialBack(request, response);
                }

                @Override
                public void reserve(ReserveRequest request, StreamObserver<ReserveResponse> response) {
                    ReserveResponse granted;
                    try {
                        granted = relay.reserve(Caller.current());
                    } catch (StatusRuntimeException e) {
                        response.onError(e);
                        return;
                    }
                    response.onNext(granted);
                    response.onCompleted();
                }

                @Override
                public void listen(ListenRequest request, StreamObserver<ListenResponse> response) {
                    try {
                        relay.listen(Caller.current(), response);
                    } catch (StatusRuntimeException e) {
                        response.onError(e);
                    }
                }

                @Override
                public StreamObserver<HolePunchRequest> holePunch(StreamObserver<HolePunchResponse> response) {
                    return new HolePunchCall(response, Caller.current(), relay);
                }
            }));
        }

        /**
         * The service with Connect taking and giving raw frames ({@link Frames}), so that circuit bytes are passed
         * on without a parse and re-encode per frame; the wire format and the schema (for reflection) are the same.
         */
        private ServerServiceDefinition withRawConnect(ServerServiceDefinition typed) {
            MethodDescriptor<ConnectRequest, ConnectResponse> connect = RelayPeerGrpc.getConnectMethod();
            MethodDescriptor<byte[], byte[]> raw = connect.toBuilder(Frames.BYTES, Frames.BYTES).build();
            ServiceDescriptor.Builder service = ServiceDescriptor.newBuilder(RelayPeerGrpc.SERVICE_NAME)
                    .setSchemaDescriptor(RelayPeerGrpc.getServiceDescriptor().getSchemaDescriptor());
            for (MethodDescriptor<?, ?> m : RelayPeerGrpc.getServiceDescriptor().getMethods()) {
                service.addMethod(m.getFullMethodName().equals(connect.getFullMethodName()) ? raw : m);
            }
            ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(service.build());
            for (ServerMethodDefinition<?, ?> m : typed.getMethods()) {
                if (!m.getMethodDescriptor().getFullMethodName().equals(connect.getFullMethodName())) {
                    definition.addMethod(m);
                }
            }
            definition.addMethod(raw, ServerCalls.asyncBidiStreamingCall(
                    responses -> new ConnectCall(responses, Caller.current(), relay)));
            return definition.build();
        }

        /**
         * AutoNAT-style reachability (libp2p AutoNAT): dials back the caller's candidates at its observed IP, each
         * on a fresh connection with a short timeout, and reports per candidate whether the caller answered there.
         */
        void dialBack(DialBackRequest request, StreamObserver<DialBackResponse> response) {
            int n = request.getCandidatesCount();
            Caller caller = Caller.current();
            InetAddress observed;
            List<DialBackOutcome> fixed = new ArrayList<>(n);
            List<Candidate> dialable = new ArrayList<>();
            List<Integer> dialableAt = new ArrayList<>();
            try {
                if (n < 1 || n > DialBackPlan.MAX_CANDIDATES) {
                    throw Status.INVALID_ARGUMENT.withDescription("candidates must list 1.." + DialBackPlan.MAX_CANDIDATES
                            + " candidates, got " + n).asRuntimeException();
                }
                observed = caller.requireIp();
                for (int i = 0; i < n; i++) {
                    dev.p2psuite.proto.common.v1.Candidate c = request.getCandidates(i);
                    fixed.add(DialBackOutcome.DIAL_BACK_OUTCOME_REFUSED);
                    if (c.getKind() != CandidateKind.CANDIDATE_KIND_HOST
                            && c.getKind() != CandidateKind.CANDIDATE_KIND_SERVER_REFLEXIVE) {
                        continue; // relayed or unspecified: not dialled (REFUSED)
                    }
                    try {
                        dialable.add(new Candidate(Candidate.Kind.fromCode(c.getKindValue()), c.getHost(), c.getPort(),
                                null));
                        dialableAt.add(i);
                    } catch (IllegalArgumentException e) {
                        throw Status.INVALID_ARGUMENT.withDescription("candidates[" + i + "]: " + e.getMessage())
                                .asRuntimeException();
                    }
                }
            } catch (StatusRuntimeException e) {
                response.onError(e);
                return;
            }
            List<DialBackPlan.Decision> plan = DialBackPlan.plan(observed, dialable, relay.policy());
            long dials = plan.stream().filter(DialBackPlan.Decision::dial).count();
            if (!relay.reserveDials((int) dials)) {
                response.onError(Status.RESOURCE_EXHAUSTED.withDescription("this relay has too many dials in progress"
                        + " (p2p.relay.max-concurrent-dials); try again in a few seconds").asRuntimeException());
                return;
            }
            relay.table().recordDialBack();
            List<CompletableFuture<DialBackResult>> results = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                results.add(CompletableFuture.completedFuture(DialBackResult.newBuilder()
                        .setCandidate(request.getCandidates(i)).setOutcome(fixed.get(i)).build()));
            }
            for (int k = 0; k < plan.size(); k++) {
                DialBackPlan.Decision d = plan.get(k);
                if (!d.dial()) {
                    continue;
                }
                int at = dialableAt.get(k);
                results.set(at, relay.dialReserved(d.address(), caller.id()).handle((r, e) -> {
                    DialBackResult.Builder b = DialBackResult.newBuilder().setCandidate(request.getCandidates(at));
                    if (r == null) {
                        return b.setOutcome(DialBackOutcome.DIAL_BACK_OUTCOME_UNREACHABLE).build();
                    }
                    return switch (r.outcome()) {
                        case REACHABLE -> b.setOutcome(DialBackOutcome.DIAL_BACK_OUTCOME_REACHABLE)
                                .setRttMs((int) Math.max(1, Math.min(Integer.MAX_VALUE, r.rttMs()))).build();
                        case UNREACHABLE -> b.setOutcome(DialBackOutcome.DIAL_BACK_OUTCOME_UNREACHABLE).build();
                        case WRONG_NODE -> b.setOutcome(DialBackOutcome.DIAL_BACK_OUTCOME_WRONG_NODE).build();
                    };
                }));
            }
            CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
                DialBackResponse.Builder answer = DialBackResponse.newBuilder();
                results.forEach(f -> answer.addResults(f.join()));
                response.onNext(answer.build());
                response.onCompleted();
            });
        }

        /**
         * The caller's transport address as the gateway saw it (like a STUN binding over TCP, RFC 8489 §12):
         * {@link PeerMetadata#CALLER_ADDRESS}, set by {@link PeerIdentityInterceptor} from the gateway's
         * {@code p2p-peer-addr}. Without it the address cannot be known: FAILED_PRECONDITION.
         */
        static void observeAddress(StreamObserver<ObserveAddressResponse> response) {
            String seen = PeerMetadata.CALLER_ADDRESS.get();
            if (seen == null || seen.isBlank()) {
                response.onError(Status.FAILED_PRECONDITION.withDescription("the caller's address is unknown: the "
                        + "node's gateway did not pass it on (p2p-peer-addr metadata), so it cannot be observed")
                        .asRuntimeException());
                return;
            }
            HostPort address;
            try {
                address = HostPort.parse(seen);
            } catch (IllegalArgumentException e) {
                address = null;
            }
            if (address == null || !IP_LITERAL.matcher(address.host()).matches()) {
                response.onError(Status.FAILED_PRECONDITION.withDescription("the caller's address as passed on by "
                        + "the node's gateway (p2p-peer-addr) is not an ip:port: '" + seen + "'").asRuntimeException());
                return;
            }
            response.onNext(ObserveAddressResponse.newBuilder()
                    .setHost(address.host()).setPort(address.port()).build());
            response.onCompleted();
        }
    }

    /** What the node's gateway asks of its relay. */
    @GrpcService
    static class RelayInternalService implements BindableService {

        private final StunServer stun;
        private final RelayRuntime relay;
        private final NatTraversal nat;
        private final SelfRecordSource self;
        private final java.security.SecureRandom random = new java.security.SecureRandom();

        RelayInternalService(StunServer stun, RelayRuntime relay, NatTraversal nat, SelfRecordSource self) {
            this.stun = stun;
            this.relay = relay;
            this.nat = nat;
            this.self = self;
        }

        @Override
        public ServerServiceDefinition bindService() {
            return RelayInternalGrpc.bindService(new RelayInternalGrpc.AsyncService() {
                @Override
                public void stunInfo(StunInfoRequest request, StreamObserver<StunInfoResponse> response) {
                    response.onNext(RelayInternalService.this.stunInfo());
                    response.onCompleted();
                }

                @Override
                public void reservations(ReservationsRequest request, StreamObserver<ReservationsResponse> response) {
                    response.onNext(RelayInternalService.this.reservations());
                    response.onCompleted();
                }

                @Override
                public void candidates(CandidatesRequest request, StreamObserver<CandidatesResponse> response) {
                    CompletableFuture<Void> ready = request.getRefresh() ? nat.refresh()
                            : CompletableFuture.completedFuture(null);
                    ready.whenComplete((v, e) -> {
                        response.onNext(RelayInternalService.this.candidates());
                        response.onCompleted();
                    });
                }

                @Override
                public void holePunch(HolePunchPeerRequest request, StreamObserver<HolePunchPeerResponse> response) {
                    NodeId target;
                    HostPort relayAddress;
                    try {
                        target = NodeId.of(request.getTargetNodeId().toByteArray());
                        relayAddress = HostPort.parse(request.getRelayAddress());
                    } catch (IllegalArgumentException e) {
                        response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
                        return;
                    }
                    var me = self.current();
                    if (me.isEmpty()) {
                        response.onError(Status.FAILED_PRECONDITION.withDescription(
                                "this node's record is not known yet (gateway not answering)").asRuntimeException());
                        return;
                    }
                    // Blocking (dials, handshakes): off the gRPC event loop, one thread per punch.
                    Thread t = new Thread(() -> {
                        try {
                            response.onNext(new HolePunchInitiatorCall(relay, nat.key(), me.get(), random)
                                    .run(target, relayAddress));
                            response.onCompleted();
                        } catch (StatusRuntimeException e) {
                            response.onError(e);
                        } catch (RuntimeException e) {
                            response.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
                        }
                    }, "hole-punch-" + target.toHex().substring(0, 8));
                    t.setDaemon(true);
                    t.start();
                }

                @Override
                public void stats(StatsRequest request, StreamObserver<StatsResponse> response) {
                    response.onNext(RelayInternalService.this.stats());
                    response.onCompleted();
                }
            });
        }

        /**
         * This node's gathered candidates ({@link NatTraversal}) with their ICE priorities and whether the node's
         * current signed record (from its gateway) lists them.
         */
        CandidatesResponse candidates() {
            NatTraversal.Snapshot s = nat.snapshot();
            var record = self.current();
            List<Candidate> published = record.map(r -> r.record().candidates()).orElse(List.of());
            CandidatesResponse.Builder out = CandidatesResponse.newBuilder()
                    .setReachability(switch (s.reachability()) {
                        case UNKNOWN -> Reachability.REACHABILITY_UNKNOWN;
                        case PUBLIC -> Reachability.REACHABILITY_PUBLIC;
                        case PRIVATE -> Reachability.REACHABILITY_PRIVATE;
                    })
                    .setRecordSeq(record.map(r -> r.seq()).orElse(0L));
            for (CandidateBook.Entry e : s.candidates()) {
                out.addCandidates(GatheredCandidate.newBuilder()
                        .setCandidate(PeerRecords.toProto(e.candidate()))
                        .setPriority((int) e.priority())
                        .setSource(CandidateSource.forNumber(e.source().ordinal() + 1))
                        .setReportedBy(e.reportedBy())
                        .setVerified(e.verified())
                        .setLastConfirmedUnixMs(e.lastConfirmed().toEpochMilli())
                        .setPublished(published.contains(e.candidate())));
            }
            return out.build();
        }

        /** Reservations served by this relay, and those this node holds on other relays ({@link NatTraversal}). */
        ReservationsResponse reservations() {
            ReservationsResponse.Builder out = ReservationsResponse.newBuilder();
            for (NatTraversal.Held h : nat.snapshot().held()) {
                HeldReservation.Builder b = HeldReservation.newBuilder()
                        .setRelayNodeId(ByteString.copyFrom(h.relay().bytes()))
                        .setRelayedCandidate(PeerRecords.toProto(h.relayed()))
                        .setListening(h.listening())
                        .setActiveCircuits(h.activeCircuits());
                if (h.expiresAt() != null) {
                    b.setExpiresAtUnixMs(h.expiresAt().toEpochMilli());
                }
                out.addHeld(b);
            }
            for (RelayTable.Reservation r : relay.table().reservations()) {
                out.addServed(ServedReservation.newBuilder()
                        .setNodeId(ByteString.copyFrom(r.node().bytes()))
                        .setSourceIp(r.sourceIp())
                        .setExpiresAtUnixMs(r.expiresAt().toEpochMilli())
                        .setListening(r.listening())
                        .setActiveCircuits(r.openCircuits())
                        .setBytesRelayed(r.bytesRelayed()));
            }
            return out.build();
        }

        /** The relay's counters. */
        StatsResponse stats() {
            RelayTable.Stats s = relay.table().stats();
            return StatsResponse.newBuilder()
                    .setReservationsActive(s.reservationsActive())
                    .setReservationsGranted(s.reservationsGranted())
                    .setReservationsRefused(s.reservationsRefused())
                    .setCircuitsActive(s.circuitsActive())
                    .setCircuitsOpened(s.circuitsOpened())
                    .setCircuitsRefused(s.circuitsRefused())
                    .setCircuitsOverBudget(s.circuitsOverBytes() + s.circuitsOverTime())
                    .setBytesRelayed(s.bytesRelayed())
                    .setDialBacks(s.dialBacks())
                    .setHolePunchAttempts(s.holePunchAttempts())
                    .setHolePunchSuccesses(s.holePunchSuccesses())
                    .setMaxReservations(relay.table().limits().maxReservations())
                    .setMaxReservationsPerIp(relay.table().limits().maxReservationsPerIp())
                    .build();
        }

        /** Where the STUN binding service listens and its counters. */
        StunInfoResponse stunInfo() {
            StunInfoResponse.Builder info = StunInfoResponse.newBuilder()
                    .setEnabled(stun.enabled())
                    .setBindingSuccesses(stun.bindingSuccesses())
                    .setBindingErrors(stun.bindingErrors());
            stun.boundAddress().ifPresent(a -> info.setUdpPort(a.getPort()).addBoundAddresses(StunServer.format(a)));
            return info.build();
        }
    }
}
