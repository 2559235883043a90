package dev.p2psuite.relay.stun;

/**
 * Wire constants and limits of STUN (RFC 8489, which obsoletes RFC 5389; section numbers below are RFC 8489's
 * unless another RFC is named). Every limit the codec and the responder enforce is named here.
 */
public final class Stun {

    private Stun() {
    }

    // ---- Header (§5) ----

    /** Fixed value of header bytes 4..7 in every RFC 5389/8489 message (§5). */
    public static final int MAGIC_COOKIE = 0x2112A442;
    /** Size of the STUN header: type (2), length (2), magic cookie (4), transaction ID (12) (§5). */
    public static final int HEADER_BYTES = 20;
    /** The transaction ID is 96 bits (§5). RFC 3489 used 128 bits: the cookie field plus these 12 bytes. */
    public static final int TRANSACTION_ID_BYTES = 12;
    /** The two most significant bits of every STUN message are zero (§5). */
    public static final int TYPE_TOP_BITS_MASK = 0xC000;

    // ---- Attributes (§14) ----

    /** Type (2) and length (2) before each attribute value (§14). */
    public static final int ATTRIBUTE_HEADER_BYTES = 4;
    /** Attributes end on a 32-bit boundary; values are padded to a multiple of 4 bytes (§14). */
    public static final int ATTRIBUTE_ALIGNMENT = 4;
    /** Types 0x0000-0x7FFF are comprehension-required, 0x8000-0xFFFF comprehension-optional (§14, §18.3). */
    public static final int COMPREHENSION_OPTIONAL_MIN = 0x8000;

    // ---- Methods and classes (§5, §18.2) ----

    /** The Binding method, the only one a basic STUN server supports (§12). */
    public static final int METHOD_BINDING = 0x001;
    /** The largest method number: methods are 12 bits (§5). */
    public static final int METHOD_MAX = 0xFFF;

    /** Message class of a type (§5: C1 is bit 8, C0 is bit 4). */
    public enum MessageClass {
        REQUEST, INDICATION, SUCCESS_RESPONSE, ERROR_RESPONSE;

        /** Two-bit class value C1C0 (§5). */
        public int bits() {
            return ordinal();
        }

        static MessageClass of(int bits) {
            return values()[bits & 0b11];
        }
    }

    /** Binding request, 0x0001 (§5, §18.2). */
    public static final int BINDING_REQUEST = messageType(METHOD_BINDING, MessageClass.REQUEST);
    /** Binding success response, 0x0101. */
    public static final int BINDING_SUCCESS = messageType(METHOD_BINDING, MessageClass.SUCCESS_RESPONSE);
    /** Binding error response, 0x0111. */
    public static final int BINDING_ERROR = messageType(METHOD_BINDING, MessageClass.ERROR_RESPONSE);

    /** The 14-bit message type for a method and class: M11..M7 C1 M6..M4 C0 M3..M0 (§5, Figure 3). */
    public static int messageType(int method, MessageClass messageClass) {
        if (method < 0 || method > METHOD_MAX) {
            throw new IllegalArgumentException("STUN methods are 12 bits, got " + method);
        }
        int c = messageClass.bits();
        return (method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
                | ((c & 0b01) << 4) | ((c & 0b10) << 7);
    }

    /** The method of a message type (§5). */
    public static int method(int messageType) {
        return (messageType & 0x000F) | ((messageType & 0x00E0) >> 1) | ((messageType & 0x3E00) >> 2);
    }

    /** The class of a message type (§5). */
    public static MessageClass messageClass(int messageType) {
        return MessageClass.of(((messageType >> 4) & 0b01) | ((messageType >> 7) & 0b10));
    }

    // ---- Attribute types (§14, §18.3; RFC 5780 §7; RFC 8445 §16) ----

    public static final int ATTR_MAPPED_ADDRESS = 0x0001;
    /** RFC 3489 §11.2.2, deprecated by RFC 5389 §18.2; never honoured (it would reflect traffic elsewhere). */
    public static final int ATTR_RESPONSE_ADDRESS = 0x0002;
    /** RFC 5780 §7.2 (was RFC 3489 §11.2.4). */
    public static final int ATTR_CHANGE_REQUEST = 0x0003;
    public static final int ATTR_USERNAME = 0x0006;
    public static final int ATTR_MESSAGE_INTEGRITY = 0x0008;
    public static final int ATTR_ERROR_CODE = 0x0009;
    public static final int ATTR_UNKNOWN_ATTRIBUTES = 0x000A;
    public static final int ATTR_REALM = 0x0014;
    public static final int ATTR_NONCE = 0x0015;
    public static final int ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C;
    public static final int ATTR_PASSWORD_ALGORITHM = 0x001D;
    public static final int ATTR_USERHASH = 0x001E;
    public static final int ATTR_XOR_MAPPED_ADDRESS = 0x0020;
    /** ICE (RFC 8445 §7.1.1): not understood by a plain binding server. */
    public static final int ATTR_PRIORITY = 0x0024;
    public static final int ATTR_PASSWORD_ALGORITHMS = 0x8002;
    public static final int ATTR_ALTERNATE_DOMAIN = 0x8003;
    public static final int ATTR_SOFTWARE = 0x8022;
    public static final int ATTR_ALTERNATE_SERVER = 0x8023;
    public static final int ATTR_FINGERPRINT = 0x8028;

    // ---- Attribute value rules ----

    /** Address family of MAPPED-ADDRESS and XOR-MAPPED-ADDRESS values (§14.1). */
    public static final int FAMILY_IPV4 = 0x01;
    public static final int FAMILY_IPV6 = 0x02;
    /** Reserved byte, family byte and port before the address bytes (§14.1, §14.2). */
    public static final int ADDRESS_VALUE_PREFIX_BYTES = 4;

    /** FINGERPRINT is the CRC-32 of the message up to it, XORed with this (§14.7). */
    public static final int FINGERPRINT_XOR = 0x5354554E;
    /** FINGERPRINT value size (§14.7). */
    public static final int FINGERPRINT_VALUE_BYTES = 4;
    /** FINGERPRINT attribute on the wire, header included (§14.7). */
    public static final int FINGERPRINT_ATTRIBUTE_BYTES = ATTRIBUTE_HEADER_BYTES + FINGERPRINT_VALUE_BYTES;

    /** CHANGE-REQUEST value size and flags (RFC 5780 §7.2). */
    public static final int CHANGE_REQUEST_VALUE_BYTES = 4;
    public static final int CHANGE_REQUEST_CHANGE_IP = 0x4;
    public static final int CHANGE_REQUEST_CHANGE_PORT = 0x2;

    /** SOFTWARE: fewer than 128 characters, at most 763 bytes of UTF-8 (§14.14). */
    public static final int MAX_SOFTWARE_CHARS = 127;
    public static final int MAX_SOFTWARE_BYTES = 763;
    /** ERROR-CODE reason phrase: fewer than 128 characters, at most 763 bytes of UTF-8 (§14.8). */
    public static final int MAX_REASON_CHARS = 127;
    public static final int MAX_REASON_BYTES = 763;
    /** ERROR-CODE class and number before the reason phrase: 21 reserved bits, class (3), number (8) (§14.8). */
    public static final int ERROR_CODE_PREFIX_BYTES = 4;

    /** Error codes used by a binding server (§14.8). */
    public static final int ERROR_BAD_REQUEST = 400;
    public static final int ERROR_UNKNOWN_ATTRIBUTE = 420;

    // ---- Message size limits ----

    /**
     * Largest response this service sends: without path-MTU knowledge a STUN message over UDP/IPv4 must stay
     * below 576 bytes minus the IP (20) and UDP (8) headers (§6.2.1). Every response here is far smaller.
     */
    public static final int MAX_RESPONSE_BYTES = 548;
    /**
     * Largest request accepted: a client without path-MTU knowledge sends at most a 1280-byte IPv6 packet
     * (§6.2.1), i.e. 1280 - 40 (IPv6 header) - 8 (UDP header) bytes of STUN. Binding requests are far smaller;
     * larger datagrams are dropped unread.
     */
    public static final int MAX_REQUEST_BYTES = 1232;
    /**
     * Most attribute types listed in one UNKNOWN-ATTRIBUTES (§14.13): our own bound, so that a 420 response to a
     * request full of unknown attributes stays well within {@link #MAX_RESPONSE_BYTES}.
     */
    public static final int MAX_UNKNOWN_ATTRIBUTES_LISTED = 32;

    /** Rounds an attribute value length up to the 4-byte boundary (§14). */
    public static int padded(int length) {
        return (length + ATTRIBUTE_ALIGNMENT - 1) & -ATTRIBUTE_ALIGNMENT;
    }

    /** True for comprehension-required attribute types, 0x0000-0x7FFF (§14). */
    public static boolean comprehensionRequired(int attributeType) {
        return attributeType < COMPREHENSION_OPTIONAL_MIN;
    }
}
