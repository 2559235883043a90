package dev.p2psuite.relay;

import dev.p2psuite.grpc.CallThread;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.grpc.PunchPort;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.proto.relay.v1.HolePunchConnect;
import dev.p2psuite.proto.relay.v1.HolePunchRequest;
import dev.p2psuite.proto.relay.v1.HolePunchResponse;
import dev.p2psuite.proto.relay.v1.HolePunchResult;
import dev.p2psuite.relay.core.AddressPolicy;
import dev.p2psuite.relay.core.HolePunchInitiator;
import dev.p2psuite.relay.core.HolePunchResponder;
import dev.p2psuite.relay.core.IpLiterals;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * RelayPeer/HolePunch, the responder's side of the DCUtR exchange ({@link HolePunchResponder} decides; this call
 * does the I/O). This node answers CONNECT with its own direct candidates (from its signed record) and, after
 * SYNC and the agreed delay, dials the initiator's candidates, reporting success if one of them answers
 * PeerAuth/Challenge as the initiator.
 *
 * <p>Two modes, chosen by the initiator's {@code connect.carry_peer_rpcs}. Without it (a reachability probe) the
 * dial leaves from an ephemeral port and succeeds when PeerAuth/Challenge proves the initiator. With it (a real
 * punch, {@link HolePunchInitiatorCall} on the other side) each attempt binds a {@link PunchPort}, announces this
 * node's direct addresses on that port, dials from it at SYNC, and splices the connected socket to this node's own
 * gateway, like an accepted relayed circuit: the initiator runs PeerAuth and peer RPCs over it.
 */
final class HolePunchCall implements StreamObserver<HolePunchRequest> {

    /** Connecting to this node's own gateway (local) for a punched connection. */
    private static final int GATEWAY_CONNECT_TIMEOUT_MS = 2_000;

    private final ServerCallStreamObserver<HolePunchResponse> out;
    private final Caller caller;
    private final RelayRuntime relay;
    private final Executor thread = CallThread.current();
    private final HolePunchResponder core = new HolePunchResponder();
    private boolean finished;
    /** The attempt's punch port in carry mode, else null. */
    private PunchPort punchPort;
    private boolean carry;

    HolePunchCall(StreamObserver<HolePunchResponse> responses, Caller caller, RelayRuntime relay) {
        this.out = (ServerCallStreamObserver<HolePunchResponse>) responses;
        this.caller = caller;
        this.relay = relay;
        out.setOnCancelHandler(() -> thread.execute(() -> {
            finished = true;
            closePunchPort();
        }));
    }

    @Override
    public void onNext(HolePunchRequest frame) {
        thread.execute(() -> {
            if (finished) {
                return;
            }
            try {
                handle(frame);
            } catch (HolePunchResponder.ProtocolException | IllegalArgumentException e) {
                finish(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
            } catch (io.grpc.StatusRuntimeException e) {
                finish(e.getStatus());
            }
        });
    }

    private void handle(HolePunchRequest frame) throws HolePunchResponder.ProtocolException {
        switch (frame.getFrameCase()) {
            case CONNECT -> {
                List<dev.p2psuite.proto.common.v1.Candidate> given = frame.getConnect().getCandidatesList();
                if (given.size() > HolePunchResponder.MAX_CANDIDATES) {
                    throw new HolePunchResponder.ProtocolException("connect.candidates has " + given.size()
                            + " entries, at most " + HolePunchResponder.MAX_CANDIDATES + " allowed");
                }
                List<Candidate> theirs = new ArrayList<>();
                for (int i = 0; i < given.size(); i++) {
                    candidate(given.get(i), "connect.candidates[" + i + "]").ifPresent(theirs::add);
                }
                core.onConnect(theirs);
                carry = frame.getConnect().getCarryPeerRpcs();
                List<Candidate> direct = PeerRecords.directCandidates(relay.self().require(),
                        HolePunchResponder.MAX_CANDIDATES);
                closePunchPort();
                if (carry) {
                    try {
                        punchPort = new PunchPort();
                    } catch (java.io.IOException e) {
                        throw Status.UNAVAILABLE.withDescription("no punch port: " + e.getMessage())
                                .asRuntimeException();
                    }
                    direct = HolePunchInitiator.onPunchPort(direct, punchPort.port());
                }
                HolePunchConnect.Builder ours = HolePunchConnect.newBuilder();
                for (Candidate c : direct) {
                    ours.addCandidates(PeerRecords.toProto(c));
                }
                out.onNext(HolePunchResponse.newBuilder().setConnect(ours).build());
            }
            case SYNC -> {
                Duration delay = core.onSync(frame.getSync().getRttMs(), frame.getSync().getDialDelayMs(),
                        frame.getSync().getAttempt());
                int attempt = core.attempt();
                List<Candidate> targets = core.remoteCandidates();
                relay.timer().schedule(() -> dial(attempt, targets), delay.toMillis(), TimeUnit.MILLISECONDS);
            }
            case RESULT -> core.onRemoteResult(frame.getResult().getAttempt(), frame.getResult().getSuccess());
            default -> throw new HolePunchResponder.ProtocolException("a HolePunch frame must be connect, sync or "
                    + "result, got " + frame.getFrameCase());
        }
    }

    /** A proto candidate as the core's; RELAYED ones are dropped (a punch is about direct paths). */
    private static Optional<Candidate> candidate(dev.p2psuite.proto.common.v1.Candidate c, String where) {
        return switch (c.getKind()) {
            case CANDIDATE_KIND_HOST, CANDIDATE_KIND_SERVER_REFLEXIVE -> {
                try {
                    yield Optional.of(new Candidate(Candidate.Kind.fromCode(c.getKindValue()), c.getHost(), c.getPort(),
                            null));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
                }
            }
            default -> Optional.empty();
        };
    }

    /** Dials every allowed candidate at once; the first (in the initiator's order) that answers as it wins. */
    private void dial(int attempt, List<Candidate> targets) {
        List<Candidate> dialled = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        AddressPolicy policy = relay.policy();
        for (Candidate c : targets) {
            Optional<InetAddress> ip = IpLiterals.parse(c.host());
            if (ip.isPresent() && policy.check(ip.get()).allowed()) {
                dialled.add(c);
                addresses.add(new InetSocketAddress(ip.get(), c.port()));
            }
        }
        if (!relay.reserveDials(addresses.size())) {
            report(attempt, null);
            return;
        }
        if (carry) {
            PunchPort port = punchPort;
            int slots = addresses.size();
            port.dial(addresses, relay.config().dialTimeout()).whenComplete((socket, e) -> {
                relay.releaseDials(slots);
                Candidate winner = null;
                if (socket != null) {
                    int i = addresses.indexOf((InetSocketAddress) socket.getRemoteSocketAddress());
                    winner = i >= 0 ? dialled.get(i) : null;
                    if (winner == null || !spliceToGateway(socket)) {
                        PunchPort.closeQuietly(socket);
                        winner = null;
                    }
                }
                report(attempt, winner);
            });
            return;
        }
        List<CompletableFuture<ChallengeProbe.Result>> results = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
            results.add(relay.dialReserved(a, caller.id()));
        }
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
            Candidate winner = null;
            for (int i = 0; i < results.size() && winner == null; i++) {
                ChallengeProbe.Result r = results.get(i).getNow(null);
                if (r != null && r.outcome() == ChallengeProbe.Outcome.REACHABLE) {
                    winner = dialled.get(i);
                }
            }
            report(attempt, winner);
        });
    }

    private void report(int attempt, Candidate winner) {
        thread.execute(() -> {
            if (finished) {
                return;
            }
            boolean success = winner != null;
            relay.table().recordHolePunch(success);
            HolePunchResult.Builder result = HolePunchResult.newBuilder().setSuccess(success).setAttempt(attempt);
            if (success) {
                result.setConnectedTo(PeerRecords.toProto(winner));
            }
            out.onNext(HolePunchResponse.newBuilder().setResult(result).build());
            try {
                core.onLocalResult(success);
            } catch (HolePunchResponder.ProtocolException e) {
                finish(Status.INTERNAL.withDescription(e.getMessage()));
            }
        });
    }

    /**
     * Joins a punched connection to this node's own gateway (as an accepted relayed circuit is), so the initiator's
     * PeerAuth and peer RPCs over it are served unchanged.
     */
    private boolean spliceToGateway(java.net.Socket punched) {
        java.net.Socket gateway = new java.net.Socket();
        try {
            gateway.setTcpNoDelay(true);
            dev.p2psuite.grpc.HostPort at = dev.p2psuite.grpc.HostPort.parse(relay.config().gatewayAddress());
            gateway.connect(new InetSocketAddress(at.host(), at.port()), GATEWAY_CONNECT_TIMEOUT_MS);
        } catch (java.io.IOException e) {
            PunchPort.closeQuietly(punched);
            PunchPort.closeQuietly(gateway);
            return false;
        }
        PunchPort.pipe(punched, gateway, "punched-" + punched.getRemoteSocketAddress());
        return true;
    }

    private void closePunchPort() {
        if (punchPort != null) {
            punchPort.close();
            punchPort = null;
        }
    }

    @Override
    public void onError(Throwable t) {
        thread.execute(() -> {
            finished = true;
            closePunchPort();
        });
    }

    @Override
    public void onCompleted() {
        thread.execute(() -> finish(Status.OK));
    }

    private void finish(Status status) {
        closePunchPort();
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
    }
}
