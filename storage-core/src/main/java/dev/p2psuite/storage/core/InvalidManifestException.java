package dev.p2psuite.storage.core;

/**
 * A manifest breaks a v1 rule (piece size, piece count, limits, hash length) or does not match the content ID it was
 * fetched for. From a client this is bad input; from a peer it means the peer is wrong or lying.
 */
public final class InvalidManifestException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public InvalidManifestException(String message) {
        super(message);
    }
}
