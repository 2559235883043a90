package dev.p2psuite.grpc;

import com.google.protobuf.ByteString;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.relay.v1.ConnectOpen;
import dev.p2psuite.proto.relay.v1.ConnectRequest;
import io.grpc.Channel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.function.Supplier;

/**
 * A local TCP listener (127.0.0.1, ephemeral port) whose every connection becomes a relayed circuit to one node
 * (relay_peer.proto {@code Connect} with {@code open}). A plain gRPC channel to {@link #port()} then carries the
 * same peer RPCs (PeerAuth, DhtPeer, PiecePeer) through the relay unchanged: the node at the other end splices the
 * circuit to its own gateway.
 */
public final class RelayBridge implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RelayBridge.class.getName());

    private final ServerSocket listener;
    private final NodeId target;
    private final Supplier<Channel> relaySession;

    /**
     * @param relaySession a channel to the relay's gateway carrying this node's session with the relay
     *                     (asked for again per circuit, so a renewed session is used)
     */
    public RelayBridge(NodeId target, Supplier<Channel> relaySession) throws IOException {
        this.target = target;
        this.relaySession = relaySession;
        this.listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        Thread acceptor = new Thread(this::acceptLoop, "relay-bridge-" + target.toHex().substring(0, 8));
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The local port a gRPC channel dials to reach the target through the relay. */
    public int port() {
        return listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket socket;
            try {
                socket = listener.accept();
                socket.setTcpNoDelay(true);
            } catch (IOException e) {
                return; // closed
            }
            ConnectRequest open = ConnectRequest.newBuilder().setOpen(ConnectOpen.newBuilder()
                    .setTargetNodeId(ByteString.copyFrom(target.bytes()))).build();
            try {
                CircuitSocket circuit = CircuitSocket.start(relaySession.get(), open, socket);
                circuit.opened().whenComplete((o, e) -> {
                    if (e != null) {
                        LOG.log(System.Logger.Level.DEBUG, "circuit to {0} failed: {1}", target.toHex(), e.getMessage());
                    }
                });
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "no circuit to {0}: {1}", target.toHex(), e.getMessage());
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // nothing to add
                }
            }
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
