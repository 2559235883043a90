package dev.p2psuite.grpc;

import dev.p2psuite.identity.AuthenticationException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;

/**
 * A gRPC channel over one hole-punched TCP connection (the initiator's side; the responder splices its end to its
 * gateway). grpc-java dials by address and a punched socket cannot be dialled again, so a one-shot loopback
 * listener is piped to the socket and a plain channel dials the listener: its first connection is the punched one,
 * and any later one is refused at once (the listener is closed after the first accept), so a broken punched
 * connection makes calls fail fast instead of reconnecting somewhere else. {@link #ended()} completes when the
 * punched connection ends.
 */
public final class PunchedChannel implements AutoCloseable {

    /** Waiting for the channel's single connection to the loopback listener. */
    static final int BRIDGE_ACCEPT_TIMEOUT_MS = 5_000;

    private final Socket punched;
    private final InetSocketAddress remote;
    private final ServerSocket loopback;
    private final ManagedChannel channel;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    private PunchedChannel(Socket punched) throws IOException {
        this.punched = punched;
        this.remote = (InetSocketAddress) punched.getRemoteSocketAddress();
        this.loopback = new ServerSocket();
        try {
            loopback.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            loopback.setSoTimeout(BRIDGE_ACCEPT_TIMEOUT_MS);
        } catch (IOException e) {
            loopback.close();
            PunchPort.closeQuietly(punched);
            throw e;
        }
        Thread acceptor = new Thread(this::acceptOnce, "punch-bridge-" + remote.getPort());
        acceptor.setDaemon(true);
        acceptor.start();
        this.channel = GrpcChannels.openNeverIdle("127.0.0.1:" + loopback.getLocalPort());
        watch(channel.getState(false), false);
    }

    /**
     * Once the channel's connection was up and is not any more (the transport closed, keepalive failed), the
     * punched connection is of no further use: it is closed, so that a silent peer does not keep it half-open.
     */
    private void watch(ConnectivityState seen, boolean wasReady) {
        channel.notifyWhenStateChanged(seen, () -> {
            ConnectivityState now = channel.getState(false);
            boolean ready = wasReady || now == ConnectivityState.READY;
            if (now == ConnectivityState.SHUTDOWN || (ready && now != ConnectivityState.READY)) {
                close();
                return;
            }
            watch(now, ready);
        });
    }

    /** Takes over {@code punched} (closed with this). */
    public static PunchedChannel over(Socket punched) throws IOException {
        return new PunchedChannel(punched);
    }

    private void acceptOnce() {
        try (ServerSocket l = loopback) {
            Socket local = l.accept();
            local.setTcpNoDelay(true);
            PunchPort.pipe(local, punched, "punched-" + remote).whenComplete((v, e) -> ended.complete(null));
        } catch (IOException e) {
            PunchPort.closeQuietly(punched);
            ended.complete(null);
        }
    }

    /** The channel to the node at the other end (its gateway, spliced by its relay-service). */
    public ManagedChannel channel() {
        return channel;
    }

    /** The address the punched socket is connected to (the peer's NAT's public address and punch port). */
    public InetSocketAddress remote() {
        return remote;
    }

    /** Completes when the punched connection has ended (either side closed it, or it broke). */
    public CompletableFuture<Void> ended() {
        return ended;
    }

    /** True if the node at the other end proves to be {@code target} by a PeerAuth handshake (DCUtR's check). */
    public boolean proves(NodeKey key, SignedPeerRecord me, NodeId target, SecureRandom random)
            throws AuthenticationException {
        return PeerHandshake.authenticate(channel, key, me, target, random).responder().nodeId().equals(target);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            loopback.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        PunchPort.closeQuietly(punched);
        ended.complete(null);
    }
}
