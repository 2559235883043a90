package dev.p2psuite.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local TCP port for one hole-punch attempt (libp2p DCUtR; TESTING.md "Two NATs and hole punching"): bound with
 * SO_REUSEADDR + SO_REUSEPORT so that several outbound sockets can dial from it at once (one per remote candidate).
 * Dialling from the port the peer was told about makes this side's NAT map it (to the same public port behind a
 * port-preserving NAT), and the two sides' SYNs crossing give a TCP simultaneous open (RFC 793 §3.4) through both
 * NATs even though each drops unsolicited inbound.
 */
public final class PunchPort implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PunchPort.class.getName());
    /** Copy buffer of {@link #pipe}. */
    private static final int PIPE_BUFFER_BYTES = 64 * 1024;

    private final Socket holder;

    /** Binds a fresh ephemeral port on every interface. */
    public PunchPort() throws IOException {
        holder = reusable();
        holder.bind(new InetSocketAddress(0));
    }

    public int port() {
        return holder.getLocalPort();
    }

    private static Socket reusable() throws IOException {
        Socket s = new Socket();
        s.setReuseAddress(true);
        s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
        s.setTcpNoDelay(true);
        return s;
    }

    /**
     * Dials every target at once from this port, each within {@code timeout}; completes with the first socket that
     * connects (the others are closed), or with {@code null} when none did.
     */
    public CompletableFuture<Socket> dial(List<InetSocketAddress> targets, Duration timeout) {
        CompletableFuture<Socket> winner = new CompletableFuture<>();
        if (targets.isEmpty()) {
            winner.complete(null);
            return winner;
        }
        AtomicInteger left = new AtomicInteger(targets.size());
        List<Socket> sockets = new ArrayList<>();
        for (InetSocketAddress target : targets) {
            Socket s;
            try {
                s = reusable();
                s.bind(new InetSocketAddress(port()));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "punch port {0}: cannot bind another socket: {1}", port(), e.getMessage());
                if (left.decrementAndGet() == 0) {
                    winner.complete(null);
                }
                continue;
            }
            sockets.add(s);
            Thread t = new Thread(() -> {
                try {
                    s.connect(target, (int) timeout.toMillis());
                    if (!winner.complete(s)) {
                        closeQuietly(s);
                    }
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.DEBUG, "punch from port {0} to {1}: {2}", port(), target, e.getMessage());
                    closeQuietly(s);
                }
                if (left.decrementAndGet() == 0) {
                    winner.complete(null);
                }
            }, "punch-" + port() + "-" + target.getPort());
            t.setDaemon(true);
            t.start();
        }
        return winner;
    }

    @Override
    public void close() {
        closeQuietly(holder);
    }

    /**
     * Joins two sockets both ways (a half-close is passed on); both are closed when both directions ended. The
     * returned future completes then.
     */
    public static CompletableFuture<Void> pipe(Socket a, Socket b, String name) {
        AtomicInteger open = new AtomicInteger(2);
        CompletableFuture<Void> ended = new CompletableFuture<>();
        copy(a, b, name + "-a2b", open, ended);
        copy(b, a, name + "-b2a", open, ended);
        return ended;
    }

    private static void copy(Socket from, Socket to, String name, AtomicInteger open, CompletableFuture<Void> ended) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[PIPE_BUFFER_BYTES];
            try {
                InputStream in = from.getInputStream(); // not closed here: that would close the socket
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                closeQuietly(from);
                closeQuietly(to);
            } finally {
                if (open.decrementAndGet() == 0) {
                    closeQuietly(from);
                    closeQuietly(to);
                    ended.complete(null);
                }
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    public static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
