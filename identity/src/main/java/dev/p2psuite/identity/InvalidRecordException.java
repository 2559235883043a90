package dev.p2psuite.identity;

import java.util.Objects;

/** A peer record that must not be used; {@link #reason()} says why, the message says it for people. */
public final class InvalidRecordException extends Exception {

    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** Wrong sizes: public key, signature, candidate count. */
        MALFORMED,
        /** The node ID is not SHA-1 of the public key: someone claims an ID that is not theirs. */
        ID_KEY_MISMATCH,
        /** The signature does not verify: forged or altered after signing. */
        BAD_SIGNATURE,
        /** Older than, or conflicting with, a record already held for that node: a replay or a signer bug. */
        STALE_SEQUENCE
    }

    private final Reason reason;
    private final NodeId nodeId;

    public InvalidRecordException(Reason reason, NodeId nodeId, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.nodeId = nodeId;
    }

    public Reason reason() {
        return reason;
    }

    /** The node ID the record claims. */
    public NodeId nodeId() {
        return nodeId;
    }
}
