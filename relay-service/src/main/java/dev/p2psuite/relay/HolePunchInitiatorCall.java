package dev.p2psuite.relay;

import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.HolePunchExchange;
import dev.p2psuite.grpc.HostPort;
import dev.p2psuite.grpc.PeerHandshake;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.grpc.PunchedChannel;
import dev.p2psuite.grpc.RelayBridge;
import dev.p2psuite.identity.AuthenticationException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.relay.v1.HolePunchPeerResponse;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import dev.p2psuite.relay.core.HolePunchResponder;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.Socket;
import java.security.SecureRandom;

/**
 * RelayInternal/HolePunch: this node initiates a DCUtR hole punch on request ({@link HolePunchExchange} does the
 * exchange, blocking, on its own thread). Through a relayed circuit to the target (a PeerAuth session with the
 * relay, a {@link RelayBridge}, a PeerAuth session with the target over it) it runs RelayPeer/HolePunch with
 * {@code carry_peer_rpcs}: per attempt it binds a {@code PunchPort}, announces its direct addresses on that port,
 * measures the round trip, sends SYNC and dials rtt/2 later while the target's relay-service dials back at SYNC
 * from its own punch port. A connected socket is then proved by a PeerAuth handshake over it (through a one-shot
 * loopback bridge, so the plain gRPC client runs on the punched TCP connection); the target side has spliced it
 * to its gateway.
 *
 * <p>The punched connection is used to prove the path and then closed: dht-service and storage-service punch
 * their own connections when they find a peer only through a relay ({@code PeerDialer}'s upgrade).
 */
final class HolePunchInitiatorCall {

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
        return HolePunchExchange.run(stub, target.toHex(),
                PeerRecords.directCandidates(me, HolePunchResponder.MAX_CANDIDATES),
                ip -> relay.policy().check(ip).allowed(), relay.config().dialTimeout(),
                punched -> prove(punched, target),
                proved -> relay.table().recordHolePunch(proved));
    }

    /**
     * Runs PeerAuth over the punched socket ({@link PunchedChannel}); true if the node at the other end proved to
     * be {@code target}. The connection is closed after: it proves the path, the node's services punch their own.
     */
    private boolean prove(Socket punched, NodeId target) throws IOException, AuthenticationException {
        try (PunchedChannel channel = PunchedChannel.over(punched)) {
            return channel.proves(key, me, target, random);
        }
    }
}
