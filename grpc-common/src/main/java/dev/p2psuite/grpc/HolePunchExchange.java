package dev.p2psuite.grpc;

import dev.p2psuite.identity.Candidate;
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
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The initiator's I/O of a DCUtR hole punch (libp2p DCUtR spec; relay_peer.proto {@code HolePunch} with
 * {@code carry_peer_rpcs}), blocking, on the caller's thread; {@link HolePunchInitiator} decides. Over a stub that
 * reaches the target through a relayed circuit (with a session with the target): per attempt it binds a
 * {@link PunchPort}, announces its direct addresses on that port, measures the round trip, sends SYNC and dials
 * rtt/2 later while the target's relay-service dials back at SYNC from its own punch port; a connected socket is
 * handed to a {@link Prover}. Used by relay-service's {@code RelayInternal/HolePunch} and by {@link PeerDialer}'s
 * automatic upgrade of relayed routes.
 */
public final class HolePunchExchange {

    private static final System.Logger LOG = System.getLogger(HolePunchExchange.class.getName());

    /** Checks a punched socket and owns it from then on: closes it, or keeps it for traffic. */
    @FunctionalInterface
    public interface Prover {
        /** True if the node at the other end proved to be the target (the attempt succeeded). */
        boolean prove(Socket punched) throws Exception;
    }

    private HolePunchExchange() {
    }

    /**
     * Runs the exchange until an attempt is proved or {@value HolePunchResponder#MAX_ATTEMPTS} failed.
     *
     * @param target      RelayPeer stub reaching the target through a relay, carrying a session with the target
     * @param ownDirect   this node's direct candidates (announced with the punch port)
     * @param mayDial     which of the target's announced IPs this node may dial
     * @param onAttempt   told each attempt's outcome (metrics)
     * @return the outcome of the last attempt (attempts, rtt, ports, addresses, failure)
     */
    public static HolePunchPeerResponse run(RelayPeerGrpc.RelayPeerStub target, String targetName,
                                            List<Candidate> ownDirect, Predicate<InetAddress> mayDial,
                                            Duration dialTimeout, Prover prover,
                                            java.util.function.Consumer<Boolean> onAttempt) {
        BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
        StreamObserver<HolePunchRequest> out = target.holePunch(new StreamObserver<>() {
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
                    HolePunchInitiator.onPunchPort(ownDirect, port.port())
                            .forEach(c -> ours.addCandidates(PeerRecords.toProto(c)));
                    core.connectSent(System.nanoTime());
                    out.onNext(HolePunchRequest.newBuilder().setConnect(ours).build());
                    HolePunchConnect theirs = next(inbox, HolePunchResponse.FrameCase.CONNECT).getConnect();
                    long delayMs = core.connectReceived(System.nanoTime()).toMillis();
                    answer.setRttMs((int) core.rttMs());
                    out.onNext(HolePunchRequest.newBuilder().setSync(HolePunchSync.newBuilder()
                            .setRttMs((int) core.rttMs()).setDialDelayMs((int) HolePunchInitiator.DIAL_DELAY_MS)
                            .setAttempt(core.attempt())).build());
                    Thread.sleep(delayMs); // DCUtR: dial rtt/2 after SYNC, when the responder dials
                    Socket punched = port.dial(allowed(theirs, mayDial), dialTimeout).get();
                    String failure = punched == null ? "no candidate connected within " + dialTimeout.toMillis()
                            + " ms" : "";
                    boolean proved = false;
                    InetSocketAddress to = punched == null ? null : (InetSocketAddress) punched.getRemoteSocketAddress();
                    if (punched != null) {
                        answer.setConnectedTo(address(to));
                        try {
                            proved = prover.prove(punched);
                            if (!proved) {
                                failure = "connected, but the node there is not the target";
                            }
                        } catch (Exception e) {
                            PunchPort.closeQuietly(punched);
                            failure = "connected, but PeerAuth over it failed: " + e.getMessage();
                        }
                    }
                    onAttempt.accept(proved);
                    HolePunchResult.Builder result = HolePunchResult.newBuilder().setSuccess(proved)
                            .setAttempt(core.attempt());
                    if (proved) {
                        result.setConnectedTo(PeerRecords.toProto(Candidate.serverReflexive(
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
                    LOG.log(System.Logger.Level.INFO, "hole punch to {0}, attempt {1}: {2} (rtt {3} ms, from port {4})",
                            targetName, core.attempt(), proved ? "direct connection to " + answer.getConnectedTo()
                                    : failure, core.rttMs(), port.port());
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

    /** The target's candidates this node may dial (IP literals {@code mayDial} allows; no RELAYED). */
    private static List<InetSocketAddress> allowed(HolePunchConnect theirs, Predicate<InetAddress> mayDial) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (dev.p2psuite.proto.common.v1.Candidate c : theirs.getCandidatesList()) {
            if (c.getKind() == dev.p2psuite.proto.common.v1.CandidateKind.CANDIDATE_KIND_RELAYED
                    || c.getPort() < 1 || c.getPort() > 65_535 || out.size() >= HolePunchResponder.MAX_CANDIDATES) {
                continue;
            }
            Optional<InetAddress> ip = IpLiterals.parse(c.getHost());
            if (ip.isPresent() && mayDial.test(ip.get())) {
                out.add(new InetSocketAddress(ip.get(), c.getPort()));
            }
        }
        return out;
    }

    private static String address(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
