package dev.p2psuite.identity;

/** A peer failed to prove its identity; the message says which check failed (adapters map it to UNAUTHENTICATED). */
public final class AuthenticationException extends Exception {

    private static final long serialVersionUID = 1L;

    public AuthenticationException(String message) {
        super(message);
    }

    public AuthenticationException(String message, Throwable cause) {
        super(message, cause);
    }
}
