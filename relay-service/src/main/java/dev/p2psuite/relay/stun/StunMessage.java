package dev.p2psuite.relay.stun;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A STUN message (§5): its 14-bit type, the 32-bit cookie field, the 96-bit transaction ID and its attributes in
 * wire order. An RFC 3489 client sends no magic cookie: its 128-bit transaction ID is then {@code cookie}
 * followed by {@code transactionId}, and a response must echo both (§11.2).
 */
public record StunMessage(int type, int cookie, byte[] transactionId, List<StunAttribute> attributes) {

    public StunMessage {
        if ((type & ~0x3FFF) != 0) {
            throw new IllegalArgumentException("message types are 14 bits, got " + type);
        }
        if (transactionId.length != Stun.TRANSACTION_ID_BYTES) {
            throw new IllegalArgumentException("transaction IDs are " + Stun.TRANSACTION_ID_BYTES + " bytes, got "
                    + transactionId.length);
        }
        transactionId = transactionId.clone();
        attributes = List.copyOf(attributes);
    }

    /** A message with the RFC 5389/8489 magic cookie. */
    public StunMessage(int type, byte[] transactionId, List<StunAttribute> attributes) {
        this(type, Stun.MAGIC_COOKIE, transactionId, attributes);
    }

    @Override
    public byte[] transactionId() {
        return transactionId.clone();
    }

    public int method() {
        return Stun.method(type);
    }

    public Stun.MessageClass messageClass() {
        return Stun.messageClass(type);
    }

    /** True if the cookie field is not the magic cookie: an RFC 3489 client (§11.2). */
    public boolean classic() {
        return cookie != Stun.MAGIC_COOKIE;
    }

    /** The first attribute of a type; later ones need not be processed (§14). */
    public Optional<StunAttribute> first(int attributeType) {
        return attributes.stream().filter(a -> a.type() == attributeType).findFirst();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StunMessage m && m.type == type && m.cookie == cookie
                && Arrays.equals(m.transactionId, transactionId) && m.attributes.equals(attributes);
    }

    @Override
    public int hashCode() {
        return (31 * type + cookie) * 31 + Arrays.hashCode(transactionId);
    }

    @Override
    public String toString() {
        return String.format("StunMessage[type=0x%04X, cookie=0x%08X, tid=%s, attributes=%s]", type, cookie,
                HexFormat.of().formatHex(transactionId), attributes);
    }
}
