package dev.p2psuite.dht.search;

import dev.p2psuite.dht.core.DhtRejection;
import dev.p2psuite.grpc.GrpcStatuses;
import io.grpc.Status;

/** The status a search failure answers with. */
final class SearchStatus {

    private SearchStatus() {
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
        return common != null ? common : Status.INTERNAL.withDescription(e.toString()).withCause(e);
    }
}
