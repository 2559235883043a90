package dev.p2psuite.relay;

import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.HostPort;
import dev.p2psuite.grpc.PeerHandshake;
import dev.p2psuite.grpc.RelayBridge;
import dev.p2psuite.identity.AuthenticationException;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.relay.v1.HolePunchConnect;
import dev.p2psuite.proto.relay.v1.HolePunchPeerResponse;
import dev.p2psuite.proto.relay.v1.HolePunchRequest;
import dev.p2psuite.proto.relay.v1.HolePunchResponse;
import dev.p2psuite.proto.relay.v1.HolePunchResult;
import dev.p2psuite.proto.relay.v1.HolePunchSync;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import dev.p2psuite.relay.core.HolePunchInitiator;
import dev.p2psuite.relay.core.HolePunchResponder;
import dev.p2psuite.relay.core.IpLiterals;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * RelayInternal/HolePunch: this node initiates a DCUtR hole punch ({@link HolePunchInitiator} decides; this does
 * the I/O, blocking, on its own thread). Through a relayed circuit to the target (a PeerAuth session with the
 * relay, a {@link RelayBridge}, a PeerAuth session with the target over it) it runs RelayPeer/HolePunch with
 * {@code carry_peer_rpcs}: per attempt it binds a {@link PunchPort}, announces its direct addresses on that port,
 * measures the round trip, sends SYNC and dials rtt/2 later while the target's relay-service dials back at SYNC
 * from its own punch port. A connected socket is then proved by a PeerAuth handshake over it (through a one-shot
 * loopback bridge, so the plain gRPC client runs on the punched TCP connection); the target side has spliced it
 * to its gateway.
 *
 * <p>The punched connection is used to prove the path and then closed: dht-service and storage-service
 * ({@code PeerDialer}) do not use it yet.
 */
final class HolePunchInitiatorCall {

    private static final Logger LOG = Logger.getLogger(HolePunchInitiatorCall.class);
    /** Waiting for the loopback bridge's single connection from the local gRPC client. */
    private static final int BRIDGE_ACCEPT_TIMEOUT_MS = 5_000;

    private final RelayRuntime relay;
    private final NodeKey key;
    private final SignedPeerRecord me;
    private final SecureRandom random;

    HolePunchInitiatorCall(RelayRuntime relay, NodeKey key, SignedPeerRecord me, SecureRandom random) {
        this.relay = relay;
        this.key = key;
        this.me = me;
        this.random = random;
    }

    HolePunchPeerResponse run(NodeId target, HostPort relayAddress) {
        ManagedChannel relayChannel = GrpcChannels.open(relayAddress.toString());
        RelayBridge bridge = null;
        ManagedChannel viaRelay = null;
        try {
            PeerHandshake.PeerSession relaySession = authenticate(relayChannel, null, "relay " + relayAddress);
            bridge = new RelayBridge(target, () -> relaySession.attachTo(relayChannel));
            viaRelay = GrpcChannels.open("127.0.0.1:" + bridge.port());
            PeerHandshake.PeerSession targetSession = authenticate(viaRelay, target,
                    "node " + target.toHex() + " through relay " + relayAddress);
            return exchange(target, RelayPeerGrpc.newStub(targetSession.attachTo(viaRelay)));
        } catch (IOException e) {
            throw Status.UNAVAILABLE.withDescription("no relay bridge: " + e.getMessage()).asRuntimeException();
        } finally {
            if (viaRelay != null) {
                viaRelay.shutdownNow();
            }
            if (bridge != null) {
                bridge.close();
            }
            relayChannel.shutdownNow();
        }
    }

    private PeerHandshake.PeerSession authenticate(io.grpc.Channel channel, NodeId expected, String what) {
        try {
            return PeerHandshake.authenticate(channel, key, me, expected, random);
        } catch (AuthenticationException e) {
            throw Status.UNAVAILABLE.withDescription(what + ": " + e.getMessage()).asRuntimeException();
        } catch (StatusRuntimeException e) {
            throw Status.UNAVAILABLE.withDescription(what + ": " + e.getStatus()).asRuntimeException();
        }
    }

    private HolePunchPeerResponse exchange(NodeId target, RelayPeerGrpc.RelayPeerStub stub) {
        BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
        StreamObserver<HolePunchRequest> out = stub.holePunch(new StreamObserver<>() {
            @Override
            public void onNext(HolePunchResponse value) {
                inbox.add(value);
            }

            @Override
            public void onError(Throwable t) {
                inbox.add(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                inbox.add(Status.OK);
            }
        });
        HolePunchInitiator core = new HolePunchInitiator();
        HolePunchPeerResponse.Builder answer = HolePunchPeerResponse.newBuilder();
        try {
            boolean again = true;
            while (again) {
                answer.clear().setAttempts(core.attempt());
                long started = System.nanoTime();
                try (PunchPort port = new PunchPort()) {
                    answer.setLocalPort(port.port());
                    HolePunchConnect.Builder ours = HolePunchConnect.newBuilder().setCarryPeerRpcs(true);
                    HolePunchInitiator.onPunchPort(SelfRecordSource.directCandidates(me,
                            HolePunchResponder.MAX_CANDIDATES), port.port())
                            .forEach(c -> ours.addCandidates(RelayServices.toProto(c)));
                    core.connectSent(System.nanoTime());
                    out.onNext(HolePunchRequest.newBuilder().setConnect(ours).build());
                    HolePunchConnect theirs = next(inbox, HolePunchResponse.FrameCase.CONNECT).getConnect();
                    long delayMs = core.connectReceived(System.nanoTime()).toMillis();
                    answer.setRttMs((int) core.rttMs());
                    out.onNext(HolePunchRequest.newBuilder().setSync(HolePunchSync.newBuilder()
                            .setRttMs((int) core.rttMs()).setDialDelayMs((int) HolePunchInitiator.DIAL_DELAY_MS)
                            .setAttempt(core.attempt())).build());
                    Thread.sleep(delayMs); // DCUtR: dial rtt/2 after SYNC, when the responder dials
                    Socket punched = port.dial(allowed(theirs), relay.config().dialTimeout()).get();
                    String failure = punched == null ? "no candidate connected within "
                            + relay.config().dialTimeout().toMillis() + " ms" : "";
                    boolean proved = false;
                    if (punched != null) {
                        answer.setConnectedTo(address(punched.getRemoteSocketAddress()));
                        try {
                            proved = prove(punched, target);
                        } catch (RuntimeException | AuthenticationException | IOException e) {
                            failure = "connected, but PeerAuth over it failed: " + e.getMessage();
                        }
                    }
                    relay.table().recordHolePunch(proved);
                    HolePunchResult.Builder result = HolePunchResult.newBuilder().setSuccess(proved)
                            .setAttempt(core.attempt());
                    if (proved) {
                        InetSocketAddress to = (InetSocketAddress) punched.getRemoteSocketAddress();
                        result.setConnectedTo(RelayServices.toProto(Candidate.serverReflexive(
                                to.getAddress().getHostAddress(), to.getPort())));
                        answer.setPunchMs((int) ((System.nanoTime() - started) / 1_000_000));
                    }
                    out.onNext(HolePunchRequest.newBuilder().setResult(result).build());
                    HolePunchResult responder = next(inbox, HolePunchResponse.FrameCase.RESULT).getResult();
                    if (responder.getSuccess()) {
                        answer.setResponderConnectedTo(responder.getConnectedTo().getHost() + ":"
                                + responder.getConnectedTo().getPort());
                    }
                    answer.setSuccess(proved).setFailure(failure);
                    LOG.infof("hole punch to %s, attempt %d: %s (rtt %d ms, from port %d)", target.toHex(),
                            core.attempt(), proved ? "direct connection to " + answer.getConnectedTo() : failure,
                            core.rttMs(), port.port());
                    again = core.attemptDone(proved);
                }
            }
            out.onCompleted();
            return answer.build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.onError(Status.CANCELLED.asRuntimeException());
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        } catch (ExecutionException | IOException e) {
            out.onError(Status.CANCELLED.asRuntimeException());
            throw Status.UNAVAILABLE.withDescription("hole punch: " + e.getMessage()).asRuntimeException();
        } catch (StatusRuntimeException e) {
            out.onError(Status.CANCELLED.asRuntimeException());
            throw e;
        }
    }

    /** The responder's next frame of the wanted kind; its end or silence is an error with a precise status. */
    private static HolePunchResponse next(BlockingQueue<Object> inbox, HolePunchResponse.FrameCase wanted)
            throws InterruptedException {
        Object o = inbox.poll(HolePunchInitiator.ANSWER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (o == null) {
            throw Status.DEADLINE_EXCEEDED.withDescription("the target sent no " + wanted + " within "
                    + HolePunchInitiator.ANSWER_TIMEOUT.toMillis() + " ms").asRuntimeException();
        }
        if (o instanceof Status s) {
            throw (s.isOk() ? Status.UNAVAILABLE.withDescription("the target ended the exchange before " + wanted)
                    : Status.UNAVAILABLE.withDescription("the target's HolePunch failed: " + s)).asRuntimeException();
        }
        HolePunchResponse r = (HolePunchResponse) o;
        if (r.getFrameCase() != wanted) {
            throw Status.UNAVAILABLE.withDescription("the target sent " + r.getFrameCase() + " instead of " + wanted)
                    .asRuntimeException();
        }
        return r;
    }

    /** The target's candidates this node may dial (IP literals the address policy allows; no RELAYED). */
    private List<InetSocketAddress> allowed(HolePunchConnect theirs) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (dev.p2psuite.proto.common.v1.Candidate c : theirs.getCandidatesList()) {
            if (c.getKind() == dev.p2psuite.proto.common.v1.CandidateKind.CANDIDATE_KIND_RELAYED
                    || c.getPort() < 1 || c.getPort() > 65_535 || out.size() >= HolePunchResponder.MAX_CANDIDATES) {
                continue;
            }
            Optional<InetAddress> ip = IpLiterals.parse(c.getHost());
            if (ip.isPresent() && relay.policy().check(ip.get()).allowed()) {
                out.add(new InetSocketAddress(ip.get(), c.getPort()));
            }
        }
        return out;
    }

    /**
     * Runs PeerAuth over the punched socket: a one-shot loopback listener piped to it, and a plain gRPC channel to
     * that listener. True if the node at the other end proved to be {@code target}. The socket is closed after.
     */
    private boolean prove(Socket punched, NodeId target) throws IOException, AuthenticationException {
        ServerSocket loopback = new ServerSocket();
        ManagedChannel channel = null;
        try {
            loopback.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            loopback.setSoTimeout(BRIDGE_ACCEPT_TIMEOUT_MS);
            Thread acceptor = new Thread(() -> {
                try {
                    Socket local = loopback.accept();
                    local.setTcpNoDelay(true);
                    PunchPort.pipe(local, punched, "punched-" + punched.getRemoteSocketAddress());
                } catch (IOException e) {
                    PunchPort.closeQuietly(punched);
                }
            }, "punch-bridge");
            acceptor.setDaemon(true);
            acceptor.start();
            channel = GrpcChannels.open("127.0.0.1:" + loopback.getLocalPort());
            PeerHandshake.PeerSession session = PeerHandshake.authenticate(channel, key, me, target, random);
            return session.responder().nodeId().equals(target);
        } finally {
            if (channel != null) {
                channel.shutdownNow();
            }
            loopback.close();
            PunchPort.closeQuietly(punched);
        }
    }

    private static String address(java.net.SocketAddress a) {
        InetSocketAddress i = (InetSocketAddress) a;
        return i.getAddress().getHostAddress() + ":" + i.getPort();
    }
}
