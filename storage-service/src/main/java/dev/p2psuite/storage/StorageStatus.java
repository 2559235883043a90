package dev.p2psuite.storage;

import dev.p2psuite.grpc.GrpcStatuses;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;

/** How storage outcomes become gRPC statuses: one mapping for the peer and the internal API. */
public final class StorageStatus {

    private StorageStatus() {
    }

    public static StatusRuntimeException exception(Throwable failure) {
        return of(failure).asRuntimeException();
    }

    public static Status of(Throwable failure) {
        Throwable e = GrpcStatuses.unwrap(failure);
        if (e instanceof StorageException s) {
            Status.Code code = switch (s.kind()) {
                case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
                case NOT_FOUND -> Status.Code.NOT_FOUND;
                case OUT_OF_RANGE -> Status.Code.OUT_OF_RANGE;
                case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
                case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
                case RESOURCE_EXHAUSTED -> Status.Code.RESOURCE_EXHAUSTED;
                case UNAVAILABLE -> Status.Code.UNAVAILABLE;
                case ABORTED -> Status.Code.ABORTED;
                case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
            };
            return Status.fromCode(code).withDescription(s.getMessage());
        }
        // storage-core rejects bad input (IDs, manifests, ranges) with IllegalArgumentException and its subclasses.
        Status common = GrpcStatuses.common(e);
        if (common != null) {
            return common;
        }
        if (e instanceof IndexOutOfBoundsException) {
            return Status.OUT_OF_RANGE.withDescription(e.getMessage());
        }
        if (e instanceof CancellationException || e instanceof RejectedExecutionException) {
            return Status.UNAVAILABLE.withDescription("storage-service is shutting down");
        }
        return Status.INTERNAL.withDescription("storage-service: " + e).withCause(e);
    }
}
