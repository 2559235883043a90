package dev.p2psuite.grpc;

import dev.p2psuite.identity.InvalidRecordException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** The part of mapping failures to gRPC statuses that every service shares; each adds its own domain errors. */
public final class GrpcStatuses {

    private GrpcStatuses() {
    }

    /** The failure behind {@link CompletionException} and {@link ExecutionException} wrappers. */
    public static Throwable unwrap(Throwable failure) {
        Throwable e = failure;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /**
     * The status of a failure every service answers alike: a status from a downstream call passes through, bad
     * input ({@link IllegalArgumentException}, an invalid record) is INVALID_ARGUMENT. Null for anything else.
     */
    public static Status common(Throwable e) {
        if (e instanceof StatusRuntimeException s) {
            return s.getStatus();
        }
        if (e instanceof InvalidRecordException r) {
            return Status.INVALID_ARGUMENT.withDescription(r.reason() + ": " + r.getMessage());
        }
        if (e instanceof IllegalArgumentException) {
            return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
        }
        return null;
    }
}
