package dev.p2psuite.relay;

import static org.awaitility.Awaitility.await;

import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.proto.relay.v1.RelayInternalGrpc;
import dev.p2psuite.proto.relay.v1.StatsRequest;
import dev.p2psuite.proto.relay.v1.StatsResponse;
import io.grpc.ManagedChannel;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every relay gRPC test shares: a channel to the service under test (as the gateway would hold), the
 * adjustable clock, fresh caller addresses, and a clean relay after each test (every reservation and circuit
 * expired by moving the clock past their lifetimes).
 */
abstract class RelayTestSupport {

    private static final AtomicInteger NEXT_IP = new AtomicInteger(1);

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int grpcPort;

    @Inject
    AdjustableClock clock;

    ManagedChannel channel;

    @BeforeEach
    void openChannel() {
        channel = GrpcChannels.open("127.0.0.1:" + grpcPort);
    }

    @AfterEach
    void expireEverythingAndClose() {
        clock.advance(Duration.ofHours(3));
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            StatsResponse s = stats();
            return s.getReservationsActive() == 0 && s.getCircuitsActive() == 0;
        });
        GrpcChannels.close(channel);
    }

    /** A public-looking IPv4 address no other test uses. */
    static String freshIp() {
        int n = NEXT_IP.getAndIncrement();
        return "203.0." + (n / 250) + "." + (1 + n % 250);
    }

    StatsResponse stats() {
        return RelayInternalGrpc.newBlockingStub(channel).stats(StatsRequest.getDefaultInstance());
    }
}
