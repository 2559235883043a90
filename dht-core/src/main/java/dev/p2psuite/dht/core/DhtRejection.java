package dev.p2psuite.dht.core;

/**
 * A request the core refuses, with the kind an adapter maps to a status (gRPC: the same names) and a message
 * that says what was wrong. Futures returned by {@link DhtNode} complete exceptionally with it.
 */
public final class DhtRejection extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** Malformed input: oversize value, bad signature, TTL out of range. */
        INVALID_ARGUMENT,
        /** The caller may not do this (announcing another node as provider). */
        PERMISSION_DENIED,
        /** A rate limit (PEX once a minute per peer) or a full store. */
        RESOURCE_EXHAUSTED,
        /** No lookup can start: the routing table is empty (not bootstrapped yet). */
        UNAVAILABLE
    }

    private final Kind kind;

    public DhtRejection(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
