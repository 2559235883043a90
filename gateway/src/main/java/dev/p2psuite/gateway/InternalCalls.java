package dev.p2psuite.gateway;

import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** How the client API calls the node's own services: deadlines, and answering with what they answered. */
final class InternalCalls {

    /** Deadline of calls that may run a DHT lookup (a few network round trips, more under churn). */
    static final long DHT_CALL_TIMEOUT_MS = 30_000;
    /** Deadline of local storage calls (stat, list, delete). */
    static final long STORAGE_CALL_TIMEOUT_MS = 10_000;

    private InternalCalls() {
    }

    static CallOptions dhtCall() {
        return CallOptions.DEFAULT.withDeadlineAfter(DHT_CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    static CallOptions storageCall() {
        return CallOptions.DEFAULT.withDeadlineAfter(STORAGE_CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Answers with the internal call's result mapped, or passes its status on: the node's services already say
     * what went wrong in words a client can act on.
     */
    static <T, R> void relay(StreamObserver<R> responses, CompletableFuture<T> call, Function<T, R> map) {
        call.whenComplete((value, failure) -> {
            if (failure != null) {
                responses.onError(statusOf(failure).asRuntimeException());
            } else {
                responses.onNext(map.apply(value));
                responses.onCompleted();
            }
        });
    }

    /** The gRPC status behind a failed future (unwrapping CompletionException). */
    static Status statusOf(Throwable failure) {
        return Status.fromThrowable(dev.p2psuite.grpc.GrpcStatuses.unwrap(failure));
    }
}
