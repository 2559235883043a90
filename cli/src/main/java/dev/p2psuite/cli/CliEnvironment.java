package dev.p2psuite.cli;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * What the CLI takes from the process it runs in: environment variables, whether stderr is a terminal, how a
 * channel to a gateway is opened, raw stdin/stdout (for values and {@code get -o -}) and the clocks. Tests
 * build one of their own.
 */
record CliEnvironment(Map<String, String> variables,
                      BooleanSupplier stderrIsTerminal,
                      Function<Target, ManagedChannel> channels,
                      InputStream stdin,
                      OutputStream stdout,
                      Clock clock,
                      LongSupplier nanoTime) {

    /** Largest gRPC message accepted, as every p2p-suite server and client (README, "Limits"). */
    static final int MAX_MESSAGE_BYTES = 1_048_576;
    /** HTTP/2 flow-control window: a 64 KiB default would stall 256 KiB chunks on any real link. */
    static final int FLOW_CONTROL_WINDOW_BYTES = 16 * 1_048_576;

    static CliEnvironment system() {
        return new CliEnvironment(System.getenv(), CliEnvironment::detectStderrTerminal, CliEnvironment::openChannel,
                System.in, System.out, Clock.systemDefaultZone(), System::nanoTime);
    }

    static ManagedChannel openChannel(Target target) {
        return NettyChannelBuilder.forAddress(target.host(), target.port())
                .usePlaintext()
                .maxInboundMessageSize(MAX_MESSAGE_BYTES)
                .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
                .userAgent("p2p-cli/" + P2pCli.version())
                .disableRetry()
                .build();
    }

    static void close(ManagedChannel channel) {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether stderr is a terminal (so a progress bar may be drawn): P2P_PROGRESS=always|never decides if set;
     * else on Linux where /proc/self/fd/2 points (a tty or pts device); elsewhere whether the JVM has a console.
     */
    private static boolean detectStderrTerminal() {
        String forced = System.getenv("P2P_PROGRESS");
        if (forced != null && !forced.isBlank()) {
            return switch (forced.trim().toLowerCase(Locale.ROOT)) {
                case "always", "1", "true", "yes" -> true;
                default -> false;
            };
        }
        if ("dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        Path fd2 = Path.of("/proc/self/fd/2");
        if (Files.exists(Path.of("/proc/self/fd"))) {
            try {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            } catch (Exception e) {
                return false;
            }
        }
        return System.console() != null;
    }
}
