package dev.p2psuite.dht;

import dev.p2psuite.dht.core.DhtRejection;
import dev.p2psuite.grpc.GrpcStatuses;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** How the DHT's outcomes become gRPC answers: one mapping for the peer and the internal API. */
final class DhtStatus {

    private DhtStatus() {
    }

    /** Answers {@code responses} with {@code result} mapped, or with the status its failure maps to. */
    static <T, R> void reply(StreamObserver<R> responses, CompletableFuture<T> result, Function<T, R> map) {
        result.whenComplete((value, failure) -> {
            if (failure != null) {
                responses.onError(of(failure).asRuntimeException());
                return;
            }
            R response;
            try {
                response = map.apply(value);
            } catch (RuntimeException e) {
                responses.onError(of(e).asRuntimeException());
                return;
            }
            responses.onNext(response);
            responses.onCompleted();
        });
    }

    /** Runs {@code handler}; input it cannot accept becomes INVALID_ARGUMENT (or the status it carries). */
    static <R> void guard(StreamObserver<R> responses, Handler handler) {
        try {
            handler.run();
        } catch (Exception e) {
            responses.onError(of(e).asRuntimeException());
        }
    }

    interface Handler {
        void run() throws Exception;
    }

    static Status of(Throwable failure) {
        Throwable e = GrpcStatuses.unwrap(failure);
        if (e instanceof DhtRejection r) {
            Status.Code code = switch (r.kind()) {
                case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
                case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
                case RESOURCE_EXHAUSTED -> Status.Code.RESOURCE_EXHAUSTED;
                case UNAVAILABLE -> Status.Code.UNAVAILABLE;
            };
            return Status.fromCode(code).withDescription(r.getMessage());
        }
        Status common = GrpcStatuses.common(e);
        if (common != null) {
            return common;
        }
        if (e instanceof CancellationException) {
            return Status.UNAVAILABLE.withDescription("dht-service is shutting down");
        }
        return Status.INTERNAL.withDescription(e.toString()).withCause(e);
    }
}
