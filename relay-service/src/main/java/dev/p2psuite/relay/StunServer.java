package dev.p2psuite.relay;

import dev.p2psuite.relay.stun.DropReason;
import dev.p2psuite.relay.stun.Stun;
import dev.p2psuite.relay.stun.StunResponder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * The STUN binding service on UDP (issue 5): one daemon thread receives one datagram at a time on a blocking
 * {@link DatagramChannel} (never on a Vert.x event loop), answers it with {@link StunResponder} and sends the
 * answer back to the datagram's source. Memory is bounded by one receive buffer; a backlog waits in the kernel's
 * socket buffer, and what overflows it is lost, as UDP allows (clients retransmit, RFC 8489 §6.2.1). Bound at
 * start-up (a port in use fails the start), closed at shutdown.
 */
@ApplicationScoped
public class StunServer {

    /** SOFTWARE attribute of every response (RFC 8489 §14.14). */
    static final String SOFTWARE = "p2p-suite relay-service";
    /** Kernel receive buffer asked for: room for about 200 queued maximum-size requests. */
    static final int SOCKET_RECEIVE_BUFFER_BYTES = 256 * 1024;
    /** How long shutdown waits for the receive thread after closing the socket. */
    static final long STOP_JOIN_MS = 2_000;
    /** Pause after a failed receive, so a persistent socket error cannot spin the receive thread. */
    static final long RECEIVE_ERROR_BACKOFF_MS = 100;
    /** An IP literal (no name lookups for the bind address): dotted quad, or hex digits and colons (IPv6). */
    private static final Pattern IP_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    static final String METRIC_SUCCESSES = "p2p.relay.stun.binding.successes";
    static final String METRIC_ERRORS = "p2p.relay.stun.binding.errors";
    static final String METRIC_DROPPED = "p2p.relay.stun.dropped";

    private static final Logger LOG = Logger.getLogger(StunServer.class);

    private final RelayConfig.Relay config;
    private final StunResponder responder = new StunResponder(SOFTWARE);
    private final Counter successes;
    private final Counter badRequests;
    private final Counter unknownAttributes;
    private final Map<DropReason, Counter> dropped = new EnumMap<>(DropReason.class);
    private final Counter sendFailures;
    private final Counter internalErrors;

    private volatile DatagramChannel channel;
    private volatile InetSocketAddress boundAddress;
    private Thread receiver;

    StunServer(RelayConfig config, MeterRegistry registry) {
        this.config = config.relay();
        successes = Counter.builder(METRIC_SUCCESSES)
                .description("STUN Binding requests answered with a success response").register(registry);
        badRequests = errorCounter(registry, Stun.ERROR_BAD_REQUEST);
        unknownAttributes = errorCounter(registry, Stun.ERROR_UNKNOWN_ATTRIBUTE);
        for (DropReason reason : DropReason.values()) {
            dropped.put(reason, droppedCounter(registry, reason.tag()));
        }
        sendFailures = droppedCounter(registry, "send_failed");
        internalErrors = droppedCounter(registry, "internal_error");
    }

    private static Counter errorCounter(MeterRegistry registry, int code) {
        return Counter.builder(METRIC_ERRORS).tag("code", Integer.toString(code))
                .description("STUN Binding requests answered with an error response (400 malformed, "
                        + "420 unknown comprehension-required attribute)")
                .register(registry);
    }

    private static Counter droppedCounter(MeterRegistry registry, String reason) {
        return Counter.builder(METRIC_DROPPED).tag("reason", reason)
                .description("UDP datagrams on the STUN port given no answer (not STUN, malformed header, bad "
                        + "FINGERPRINT, not a Binding request, or the answer could not be sent)")
                .register(registry);
    }

    void onStart(@Observes StartupEvent event) throws IOException {
        if (!config.stunEnabled()) {
            LOG.info("STUN binding service disabled (p2p.relay.stun-enabled=false)");
            return;
        }
        start();
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    /** Binds the socket and starts the receive thread. */
    synchronized void start() throws IOException {
        if (channel != null) {
            return;
        }
        String host = config.stunHost().trim();
        int port = config.stunPort();
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("p2p.relay.stun-port (P2P_RELAY_STUN_PORT) must be 0..65535, got "
                    + port);
        }
        if (!IP_LITERAL.matcher(host).matches()) {
            throw new IllegalArgumentException("p2p.relay.stun-host (P2P_RELAY_STUN_HOST) must be an IP literal "
                    + "such as 0.0.0.0 or ::, got '" + host + "'");
        }
        InetSocketAddress local = new InetSocketAddress(InetAddress.getByName(host), port);
        // The family of the bind address: an IPv4 address gets an IPv4-only socket, not a dual-stack one.
        DatagramChannel ch = DatagramChannel.open(local.getAddress() instanceof Inet4Address
                ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, SOCKET_RECEIVE_BUFFER_BYTES);
            ch.bind(local);
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot bind the STUN UDP socket to " + format(local) + " (" + e.getMessage()
                    + "); set p2p.relay.stun-port (P2P_RELAY_STUN_PORT) to a free port, 0 for any", e);
        }
        boundAddress = (InetSocketAddress) ch.getLocalAddress();
        receiver = new Thread(() -> receiveLoop(ch), "stun-udp-" + boundAddress.getPort());
        receiver.setDaemon(true);
        channel = ch; // volatile write: publishes boundAddress and receiver to running()
        receiver.start();
        LOG.infof("STUN binding service listening on UDP %s", format(boundAddress));
    }

    /** Closes the socket, which ends the receive thread. */
    synchronized void stop() {
        DatagramChannel ch = channel;
        if (ch == null) {
            return;
        }
        channel = null;
        try {
            ch.close();
        } catch (IOException e) {
            LOG.debugf(e, "closing the STUN socket");
        }
        try {
            receiver.join(STOP_JOIN_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void receiveLoop(DatagramChannel ch) {
        // One byte more than the largest request accepted, so a larger datagram is recognised (the excess of a
        // datagram larger than the buffer is discarded by the kernel).
        ByteBuffer buffer = ByteBuffer.allocate(Stun.MAX_REQUEST_BYTES + 1);
        while (ch.isOpen()) {
            SocketAddress from;
            try {
                buffer.clear();
                from = ch.receive(buffer);
            } catch (ClosedChannelException e) {
                break; // stop()
            } catch (IOException e) {
                LOG.warnf("STUN receive failed: %s", e.toString());
                pause(RECEIVE_ERROR_BACKOFF_MS); // a persistent error must not spin the thread
                continue;
            }
            if (!(from instanceof InetSocketAddress source)) {
                continue;
            }
            try {
                handle(ch, buffer.array(), buffer.position(), source);
            } catch (RuntimeException e) { // a bug must not stop the service; count it and go on
                internalErrors.increment();
                LOG.errorf(e, "STUN datagram from %s not handled", format(source));
            }
        }
        LOG.debug("STUN receive loop ended");
    }

    private void handle(DatagramChannel ch, byte[] data, int length, InetSocketAddress source) {
        StunResponder.Reply reply = responder.respond(data, length, source);
        switch (reply.outcome()) {
            case SUCCESS -> successes.increment();
            case ERROR -> (reply.errorCode() == Stun.ERROR_BAD_REQUEST ? badRequests : unknownAttributes).increment();
            case DROPPED -> {
                dropped.get(reply.dropReason()).increment();
                if (LOG.isDebugEnabled()) {
                    LOG.debugf("STUN datagram of %d bytes from %s dropped: %s (%s)", length, format(source),
                            reply.dropReason().tag(), reply.detail());
                }
                return;
            }
        }
        if (reply.outcome() == StunResponder.Outcome.ERROR && LOG.isDebugEnabled()) {
            LOG.debugf("STUN request from %s answered with %d: %s", format(source), reply.errorCode(), reply.detail());
        }
        try {
            ch.send(ByteBuffer.wrap(reply.response()), source);
        } catch (IOException e) {
            sendFailures.increment();
            LOG.debugf("STUN response to %s not sent: %s", format(source), e.toString());
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True once the socket is bound and until shutdown. */
    public boolean running() {
        DatagramChannel ch = channel;
        return ch != null && ch.isOpen() && receiver.isAlive();
    }

    /** True unless disabled by configuration. */
    public boolean enabled() {
        return config.stunEnabled();
    }

    /** The local address the socket is bound to, while running. */
    public Optional<InetSocketAddress> boundAddress() {
        return running() ? Optional.of(boundAddress) : Optional.empty();
    }

    /** Binding requests answered with a success response since start. */
    public long bindingSuccesses() {
        return (long) successes.count();
    }

    /** Datagrams answered with an error response or given no answer since start. */
    public long bindingErrors() {
        double sum = badRequests.count() + unknownAttributes.count() + sendFailures.count()
                + internalErrors.count();
        for (Counter c : dropped.values()) {
            sum += c.count();
        }
        return (long) sum;
    }

    /** {@code ip:port}, {@code [ip]:port} for IPv6. */
    static String format(InetSocketAddress address) {
        String ip = address.getAddress().getHostAddress();
        return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + address.getPort() : ip + ":" + address.getPort();
    }
}
