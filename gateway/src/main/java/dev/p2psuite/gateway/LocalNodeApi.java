package dev.p2psuite.gateway;

import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.quarkus.grpc.GrpcService;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The client API as the HTTP resources call it: the very {@link NodeApiGrpcService} that serves gRPC clients,
 * reached over grpc-java's in-process transport (messages are passed, not serialized). So REST and gRPC share
 * one implementation: the same validation, the same error statuses and messages, the same flow control, and
 * the same draining of transfers when the gateway stops ({@link TransferDrain}).
 */
@ApplicationScoped
public class LocalNodeApi {

    private final Server server;
    private final ManagedChannel channel;

    LocalNodeApi(@GrpcService NodeApiGrpcService api, TransferDrain drain) {
        String name = "node-api-" + UUID.randomUUID();
        try {
            server = InProcessServerBuilder.forName(name).addService(ServerInterceptors.intercept(api, drain)).build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("the in-process NodeApi server did not start", e);
        }
        channel = InProcessChannelBuilder.forName(name).build();
    }

    /** How long a call answered whole may take: a Stat of a content not held here asks providers for its manifest. */
    static final long CALL_DEADLINE_MS = 60_000;

    /** For calls answered whole, with {@link #CALL_DEADLINE_MS}. */
    NodeApiGrpc.NodeApiBlockingStub call() {
        return blocking().withDeadlineAfter(CALL_DEADLINE_MS, TimeUnit.MILLISECONDS);
    }

    /** For streams; the caller sets a deadline if it wants one. */
    NodeApiGrpc.NodeApiBlockingStub blocking() {
        return NodeApiGrpc.newBlockingStub(channel);
    }

    /** For streamed uploads (flow control through isReady/onReady). */
    NodeApiGrpc.NodeApiStub async() {
        return NodeApiGrpc.newStub(channel);
    }

    @PreDestroy
    void close() {
        channel.shutdownNow();
        server.shutdownNow();
    }
}
