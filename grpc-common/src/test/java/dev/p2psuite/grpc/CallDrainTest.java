package dev.p2psuite.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.time.Duration;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The health service's Watch (a stream that stays open) stands in for a transfer; Check for any other call. */
class CallDrainTest {

    private final CallDrain drain = new CallDrain("test-service", Set.of(HealthGrpc.getWatchMethod().getFullMethodName()));
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), drain))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    @Test
    void drainWaitsForTheTransferInFlightRefusesNewOnesAndKeepsServingOtherCalls() throws Exception {
        Context.CancellableContext transfer = Context.current().withCancellation();
        Iterator<HealthCheckResponse> watch = transfer.call(() -> HealthGrpc.newBlockingStub(channel)
                .watch(HealthCheckRequest.getDefaultInstance()));
        assertThat(watch.next().getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(drain.inFlight()).isEqualTo(1);

        CompletableFuture<Integer> drained = CompletableFuture.supplyAsync(() -> {
            try {
                return drain.drain(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200);
        assertThat(drained).isNotDone();
        assertThatThrownBy(() -> HealthGrpc.newBlockingStub(channel).watch(HealthCheckRequest.getDefaultInstance()).next())
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).contains("test-service is shutting down");
                });
        assertThat(HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus())
                .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

        transfer.cancel(null); // the transfer ends
        assertThat(drained.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void drainGivesUpAfterTheGracePeriodAndSaysHowManyAreLeft() throws Exception {
        Context.CancellableContext transfer = Context.current().withCancellation();
        try {
            Iterator<HealthCheckResponse> watch = transfer.call(() -> HealthGrpc.newBlockingStub(channel)
                    .watch(HealthCheckRequest.getDefaultInstance()));
            watch.next();
            long start = System.nanoTime();
            assertThat(drain.drain(Duration.ofMillis(300))).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        } finally {
            transfer.cancel(null);
        }
    }

    @Test
    void nothingInFlightDrainsAtOnce() throws Exception {
        assertThat(drain.drain(Duration.ofSeconds(30))).isZero();
    }
}
