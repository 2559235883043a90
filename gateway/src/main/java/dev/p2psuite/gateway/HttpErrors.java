package dev.p2psuite.gateway;

import io.grpc.Status;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * Errors of the HTTP API: the gRPC status code the same call would get, as an HTTP status and a JSON body
 * {@code {"code": "INVALID_ARGUMENT", "message": "..."}} (the message says what to do, as over gRPC).
 */
final class HttpErrors {

    private HttpErrors() {
    }

    /** The JSON error body. */
    record Body(String code, String message) {
    }

    static Response invalid(String message) {
        return of(Status.INVALID_ARGUMENT.withDescription(message));
    }

    static Response of(Status status) {
        int http = switch (status.getCode()) {
            case INVALID_ARGUMENT, FAILED_PRECONDITION -> 400;
            case UNAUTHENTICATED -> 401;
            case PERMISSION_DENIED -> 403;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case OUT_OF_RANGE -> 416;
            case RESOURCE_EXHAUSTED -> 429;
            case UNIMPLEMENTED -> 501;
            case UNAVAILABLE -> 503;
            case DEADLINE_EXCEEDED -> 504;
            default -> 500;
        };
        String message = status.getDescription() == null ? status.getCode().name() : status.getDescription();
        return Response.status(http).type(MediaType.APPLICATION_JSON)
                .entity(new Body(status.getCode().name(), message)).build();
    }

    /** An optional non-negative integer query parameter (absent = 0, the API's "default"). */
    static int uint(String name, String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a whole number >= 0 (0 = default), got '" + value + "'");
    }
}
