package dev.p2psuite.grpc;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/**
 * Channels to the node's own services and to other nodes' gateways: plaintext HTTP/2 with the project's
 * message limit and flow-control window, kept open for the process's life.
 */
public final class GrpcChannels {

    private GrpcChannels() {
    }

    /**
     * Opens a channel to {@code host:port}. One channel per service is kept for the process's life:
     * a channel per call costs a connection each time (STACK.md: +0.6 ms and sockets in TIME_WAIT).
     */
    public static ManagedChannel open(String hostPort) {
        return builder(hostPort).build();
    }

    /**
     * A channel that never goes idle (grpc-java would close an idle transport after 30 min): for a connection that
     * cannot be made again by dialling, like a hole-punched one behind a loopback bridge ({@link PunchedChannel}).
     */
    public static ManagedChannel openNeverIdle(String hostPort) {
        return builder(hostPort).idleTimeout(NEVER_IDLE_DAYS, TimeUnit.DAYS).build();
    }

    /** grpc-java: an idle timeout above 30 days disables idle mode. */
    private static final long NEVER_IDLE_DAYS = 31;

    /** A builder with everything {@link #open} sets, for a caller that also picks the channel's event loop. */
    public static NettyChannelBuilder builder(String hostPort) {
        HostPort address = HostPort.parse(hostPort);
        return NettyChannelBuilder.forAddress(address.host(), address.port())
                .usePlaintext()
                .maxInboundMessageSize(WireLimits.MAX_MESSAGE_BYTES)
                .flowControlWindow(WireLimits.FLOW_CONTROL_WINDOW_BYTES)
                .keepAliveTime(30, TimeUnit.SECONDS)
                // No transparent retries: a forwarded call must not be sent twice, and retry buffering keeps
                // isReady() false until the call completes, which would stall flow-controlled forwarding.
                .disableRetry();
    }

    /** Shuts a channel down, waiting briefly for calls in flight. */
    public static void close(ManagedChannel channel) {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
