package dev.p2psuite.cli;

import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import io.grpc.ManagedChannel;
import java.util.concurrent.TimeUnit;

/** One channel to one gateway for the life of a command, and the NodeApi stubs with the command's deadline. */
final class Gateway implements AutoCloseable {

    static final int DEFAULT_UNARY_TIMEOUT_SECONDS = 30;

    private final Target target;
    private final ManagedChannel channel;
    private final Integer timeoutSeconds;

    Gateway(Target target, ManagedChannel channel, Integer timeoutSeconds) {
        this.target = target;
        this.channel = channel;
        this.timeoutSeconds = timeoutSeconds;
    }

    Target target() {
        return target;
    }

    /** Blocking stub for a unary call: deadline --timeout, 30 s by default. */
    NodeApiGrpc.NodeApiBlockingStub unary() {
        NodeApiGrpc.NodeApiBlockingStub stub = NodeApiGrpc.newBlockingStub(channel);
        int seconds = timeoutSeconds == null ? DEFAULT_UNARY_TIMEOUT_SECONDS : timeoutSeconds;
        return seconds > 0 ? stub.withDeadlineAfter(seconds, TimeUnit.SECONDS) : stub;
    }

    /** Blocking stub for a transfer: no deadline unless --timeout was given. */
    NodeApiGrpc.NodeApiBlockingStub transferBlocking() {
        NodeApiGrpc.NodeApiBlockingStub stub = NodeApiGrpc.newBlockingStub(channel);
        return timeoutSeconds != null && timeoutSeconds > 0 ? stub.withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS) : stub;
    }

    /** Async stub for a transfer: no deadline unless --timeout was given. */
    NodeApiGrpc.NodeApiStub transferAsync() {
        NodeApiGrpc.NodeApiStub stub = NodeApiGrpc.newStub(channel);
        return timeoutSeconds != null && timeoutSeconds > 0 ? stub.withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS) : stub;
    }

    @Override
    public void close() {
        CliEnvironment.close(channel);
    }
}
