package dev.p2psuite.relay.stun;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One STUN attribute: its 16-bit type and its value without padding (§14). {@code offset} is where the attribute
 * header starts in the decoded message (-1 for attributes not yet encoded).
 */
public record StunAttribute(int type, byte[] value, int offset) {

    public StunAttribute {
        if (type < 0 || type > 0xFFFF) {
            throw new IllegalArgumentException("attribute types are 16 bits, got " + type);
        }
        if (value.length > 0xFFFF) {
            throw new IllegalArgumentException("attribute values are at most 65535 bytes, got " + value.length);
        }
        value = value.clone();
    }

    /** An attribute to encode. */
    public StunAttribute(int type, byte[] value) {
        this(type, value, -1);
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    /** Value length before padding. */
    public int length() {
        return value.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StunAttribute a && a.type == type && Arrays.equals(a.value, value);
    }

    @Override
    public int hashCode() {
        return 31 * type + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return String.format("0x%04X(%s)", type, HexFormat.of().formatHex(value));
    }
}
