package dev.p2psuite.relay.stun;

/** What {@link StunCodec#decode} made of a datagram. */
public sealed interface StunDecodeResult {

    /** A well-formed STUN message, FINGERPRINT (if any) verified. */
    record Decoded(StunMessage message) implements StunDecodeResult {
    }

    /** Not a STUN message this agent may answer: discard silently (§6.3). */
    record Dropped(DropReason reason, String detail) implements StunDecodeResult {
    }

    /**
     * A valid STUN header whose attribute section is broken (an attribute overruns the message). {@code header}
     * carries the type, cookie and transaction ID without attributes, so a request can get a 400 (§14.8).
     */
    record Malformed(StunMessage header, String detail) implements StunDecodeResult {
    }
}
