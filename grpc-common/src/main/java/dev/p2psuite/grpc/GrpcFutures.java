package dev.p2psuite.grpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** Unary gRPC calls as {@link CompletableFuture}s: no thread blocks while a peer answers. */
public final class GrpcFutures {

    private GrpcFutures() {
    }

    /** Starts {@code method} on {@code channel}; completes with the response or the call's StatusRuntimeException. */
    public static <Q, R> CompletableFuture<R> unary(Channel channel, MethodDescriptor<Q, R> method, CallOptions options,
                                                    Q request) {
        CompletableFuture<R> result = new CompletableFuture<>();
        ClientCalls.asyncUnaryCall(channel.newCall(method, options), request, new StreamObserver<>() {
            @Override
            public void onNext(R value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                if (!result.isDone()) {
                    result.completeExceptionally(new IllegalStateException(method.getFullMethodName() + " sent no response"));
                }
            }
        });
        return result;
    }
}
