package dev.p2psuite.relay.stun;

import java.util.Locale;

/** Why a datagram got no answer at all (RFC 8489 §6.3: such messages are silently discarded). */
public enum DropReason {
    /** Fewer bytes than a STUN header (§5). */
    TOO_SHORT,
    /** More than {@link Stun#MAX_REQUEST_BYTES}. */
    TOO_LARGE,
    /** Not STUN: the two top bits are set, or neither the magic cookie nor an RFC 3489 binding request (§5, §6.3). */
    NOT_STUN,
    /** The header's length is not a multiple of 4 or does not match the datagram (§5, §6.3). */
    BAD_LENGTH,
    /** FINGERPRINT present but wrong, mis-sized or not the last attribute (§7, §14.7). */
    BAD_FINGERPRINT,
    /** An indication or a response: a server answers requests only (§6.3, §6.3.2, §6.3.3). */
    NOT_A_REQUEST,
    /** A method other than Binding (§6.3, §12). */
    UNSUPPORTED_METHOD;

    /** The value of the metrics tag {@code reason}. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
