package dev.p2psuite.storage;

/**
 * A request storage-service cannot serve, with the gRPC status it maps to ({@link StorageStatus}). The message is
 * written for the caller: it says what was wrong and what is expected.
 */
public final class StorageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why; each maps to the gRPC code of the same name. */
    public enum Kind {
        INVALID_ARGUMENT, NOT_FOUND, OUT_OF_RANGE, FAILED_PRECONDITION, PERMISSION_DENIED, RESOURCE_EXHAUSTED,
        UNAVAILABLE, ABORTED, UNAUTHENTICATED
    }

    private final Kind kind;

    public StorageException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public StorageException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static StorageException invalid(String message) {
        return new StorageException(Kind.INVALID_ARGUMENT, message);
    }

    public static StorageException notFound(String message) {
        return new StorageException(Kind.NOT_FOUND, message);
    }
}
