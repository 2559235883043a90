package dev.p2psuite.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A gRPC channel over one already connected socket (as a punched one is), and what happens when it ends. */
class PunchedChannelTest {

    private final HealthStatusManager health = new HealthStatusManager();
    private Server server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }

    private Socket connectedSocket() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(health.getHealthService()).build().start();
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getPort()), 2_000);
        return s;
    }

    @Test
    void callsRunOverTheGivenConnectionAndStopWhenItEnds() throws Exception {
        try (PunchedChannel punched = PunchedChannel.over(connectedSocket())) {
            assertThat(punched.remote().getPort()).isEqualTo(server.getPort());
            HealthCheckResponse answer = HealthGrpc.newBlockingStub(punched.channel())
                    .withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
            assertThat(answer.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            assertThat(punched.ended()).isNotDone();

            server.shutdownNow(); // the far end goes away: the connection cannot be made again by dialling
            punched.ended().get(10, TimeUnit.SECONDS);
            server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .addService(health.getHealthService()).build().start();
            assertThatThrownBy(() -> HealthGrpc.newBlockingStub(punched.channel())
                    .withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()))
                    .as("no reconnection anywhere else").isInstanceOf(StatusRuntimeException.class);
        }
    }

    @Test
    void closingEndsIt() throws Exception {
        PunchedChannel punched = PunchedChannel.over(connectedSocket());
        punched.close();
        assertThat(punched.ended()).isDone();
        assertThat(punched.channel().isShutdown()).isTrue();
    }
}
