package dev.p2psuite.relay.stun;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Parses and builds STUN messages (RFC 8489 §5, §14), byte arrays in, byte arrays out. Stateless and thread-safe.
 */
public final class StunCodec {

    private StunCodec() {
    }

    /** Decodes a whole datagram. */
    public static StunDecodeResult decode(byte[] data) {
        return decode(data, 0, data.length);
    }

    /**
     * Decodes {@code length} bytes of {@code data} from {@code offset}: one datagram, which over UDP holds exactly
     * one STUN message (§6.2.1). Never throws on bad input.
     */
    public static StunDecodeResult decode(byte[] data, int offset, int length) {
        if (length < Stun.HEADER_BYTES) {
            return new StunDecodeResult.Dropped(DropReason.TOO_SHORT,
                    length + " bytes, a STUN header has " + Stun.HEADER_BYTES);
        }
        ByteBuffer in = ByteBuffer.wrap(data, offset, length).slice();
        int type = Short.toUnsignedInt(in.getShort(0));
        if ((type & Stun.TYPE_TOP_BITS_MASK) != 0) { // §5: the top two bits are zero
            return new StunDecodeResult.Dropped(DropReason.NOT_STUN, "top two bits of the type are not zero");
        }
        int messageLength = Short.toUnsignedInt(in.getShort(2));
        if (messageLength % Stun.ATTRIBUTE_ALIGNMENT != 0) { // §5: the last two bits of the length are zero
            return new StunDecodeResult.Dropped(DropReason.BAD_LENGTH,
                    "message length " + messageLength + " is not a multiple of 4");
        }
        if (messageLength + Stun.HEADER_BYTES != length) { // §6.3: "the message length is sensible"
            return new StunDecodeResult.Dropped(DropReason.BAD_LENGTH, "message length " + messageLength
                    + " + " + Stun.HEADER_BYTES + " header bytes != datagram of " + length + " bytes");
        }
        int cookie = in.getInt(4);
        if (cookie != Stun.MAGIC_COOKIE && (Stun.method(type) != Stun.METHOD_BINDING
                || Stun.messageClass(type) == Stun.MessageClass.INDICATION)) {
            // §6.3: a wrong magic cookie means not STUN. The exception is RFC 3489 (§11.2), whose 128-bit
            // transaction ID covers the cookie field: its Binding requests and responses (it had no indications).
            return new StunDecodeResult.Dropped(DropReason.NOT_STUN, String.format(
                    "cookie 0x%08X is not the magic cookie and type 0x%04X is no RFC 3489 Binding message", cookie,
                    type));
        }
        byte[] transactionId = new byte[Stun.TRANSACTION_ID_BYTES];
        in.get(8, transactionId);

        List<StunAttribute> attributes = new ArrayList<>();
        int pos = Stun.HEADER_BYTES;
        while (pos < length) {
            if (length - pos < Stun.ATTRIBUTE_HEADER_BYTES) { // unreachable while the length is 4-aligned
                return malformed(type, cookie, transactionId, "truncated attribute header at byte " + pos);
            }
            int attributeType = Short.toUnsignedInt(in.getShort(pos));
            int attributeLength = Short.toUnsignedInt(in.getShort(pos + 2));
            int end = pos + Stun.ATTRIBUTE_HEADER_BYTES + Stun.padded(attributeLength);
            if (end > length) { // §14: the value plus its padding must fit in the message
                return malformed(type, cookie, transactionId, String.format(
                        "attribute 0x%04X at byte %d declares %d value bytes but only %d remain", attributeType, pos,
                        attributeLength, length - pos - Stun.ATTRIBUTE_HEADER_BYTES));
            }
            byte[] value = new byte[attributeLength];
            in.get(pos + Stun.ATTRIBUTE_HEADER_BYTES, value);
            if (attributeType == Stun.ATTR_FINGERPRINT) {
                String problem = checkFingerprint(data, offset, pos, value, end == length);
                if (problem != null) {
                    return new StunDecodeResult.Dropped(DropReason.BAD_FINGERPRINT, problem);
                }
            }
            attributes.add(new StunAttribute(attributeType, value, pos));
            pos = end;
        }
        return new StunDecodeResult.Decoded(new StunMessage(type, cookie, transactionId, attributes));
    }

    private static StunDecodeResult malformed(int type, int cookie, byte[] transactionId, String detail) {
        return new StunDecodeResult.Malformed(new StunMessage(type, cookie, transactionId, List.of()), detail);
    }

    /** §14.7: four bytes, the last attribute, equal to CRC-32 of everything before it XOR 0x5354554E. */
    private static String checkFingerprint(byte[] data, int offset, int attributeStart, byte[] value, boolean last) {
        if (value.length != Stun.FINGERPRINT_VALUE_BYTES) {
            return "FINGERPRINT value has " + value.length + " bytes, not " + Stun.FINGERPRINT_VALUE_BYTES;
        }
        if (!last) {
            return "FINGERPRINT is not the last attribute";
        }
        int expected = fingerprint(data, offset, attributeStart);
        int actual = ByteBuffer.wrap(value).getInt();
        if (expected != actual) {
            return String.format("FINGERPRINT 0x%08X, the message's is 0x%08X", actual, expected);
        }
        return null;
    }

    /**
     * The FINGERPRINT value of a message whose first {@code length} bytes (from {@code offset}) precede the
     * FINGERPRINT attribute; the header's length field must already count that attribute (§14.7).
     */
    public static int fingerprint(byte[] message, int offset, int length) {
        CRC32 crc = new CRC32();
        crc.update(message, offset, length);
        return (int) crc.getValue() ^ Stun.FINGERPRINT_XOR;
    }

    /**
     * Encodes a message, attribute values zero-padded to 4 bytes (§14), and appends FINGERPRINT when asked
     * (§7, §14.7). The header length counts every attribute including FINGERPRINT.
     */
    public static byte[] encode(StunMessage message, boolean withFingerprint) {
        int size = Stun.HEADER_BYTES;
        for (StunAttribute a : message.attributes()) {
            size += Stun.ATTRIBUTE_HEADER_BYTES + Stun.padded(a.length());
        }
        if (withFingerprint) {
            size += Stun.FINGERPRINT_ATTRIBUTE_BYTES;
        }
        if (size - Stun.HEADER_BYTES > 0xFFFF) {
            throw new IllegalArgumentException("message body of " + (size - Stun.HEADER_BYTES)
                    + " bytes exceeds the 16-bit length field");
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        out.putShort((short) message.type());
        out.putShort((short) (size - Stun.HEADER_BYTES));
        out.putInt(message.cookie());
        out.put(message.transactionId());
        for (StunAttribute a : message.attributes()) {
            out.putShort((short) a.type());
            out.putShort((short) a.length());
            out.put(a.value());
            out.position(out.position() + Stun.padded(a.length()) - a.length()); // padding stays zero
        }
        if (withFingerprint) {
            int crc = fingerprint(out.array(), 0, out.position());
            out.putShort((short) Stun.ATTR_FINGERPRINT);
            out.putShort((short) Stun.FINGERPRINT_VALUE_BYTES);
            out.putInt(crc);
        }
        return out.array();
    }

    // ---- Attribute values ----

    /** MAPPED-ADDRESS value (§14.1): reserved 0, family, port, address, all in the clear. */
    public static byte[] mappedAddress(InetSocketAddress address) {
        byte[] ip = address.getAddress().getAddress();
        ByteBuffer out = ByteBuffer.allocate(Stun.ADDRESS_VALUE_PREFIX_BYTES + ip.length);
        out.put((byte) 0).put((byte) family(ip)).putShort((short) address.getPort()).put(ip);
        return out.array();
    }

    /**
     * XOR-MAPPED-ADDRESS value (§14.2): the port XOR the cookie's top 16 bits; an IPv4 address XOR the magic
     * cookie, an IPv6 address XOR the cookie followed by the transaction ID.
     */
    public static byte[] xorMappedAddress(InetSocketAddress address, byte[] transactionId) {
        byte[] ip = address.getAddress().getAddress();
        byte[] mask = xorMask(transactionId);
        for (int i = 0; i < ip.length; i++) {
            ip[i] ^= mask[i];
        }
        ByteBuffer out = ByteBuffer.allocate(Stun.ADDRESS_VALUE_PREFIX_BYTES + ip.length);
        out.put((byte) 0).put((byte) family(ip)).putShort((short) (address.getPort() ^ (Stun.MAGIC_COOKIE >>> 16)))
                .put(ip);
        return out.array();
    }

    /** Reads a MAPPED-ADDRESS value (§14.1). */
    public static InetSocketAddress decodeMappedAddress(byte[] value) {
        return decodeAddress(value, null);
    }

    /** Reads an XOR-MAPPED-ADDRESS value (§14.2) of a message with this transaction ID. */
    public static InetSocketAddress decodeXorMappedAddress(byte[] value, byte[] transactionId) {
        return decodeAddress(value, xorMask(transactionId));
    }

    private static InetSocketAddress decodeAddress(byte[] value, byte[] mask) {
        if (value.length < Stun.ADDRESS_VALUE_PREFIX_BYTES) {
            throw new IllegalArgumentException("address attribute of " + value.length + " bytes");
        }
        int family = value[1] & 0xFF;
        int ipLength = family == Stun.FAMILY_IPV4 ? 4 : family == Stun.FAMILY_IPV6 ? 16 : -1;
        if (ipLength < 0 || value.length != Stun.ADDRESS_VALUE_PREFIX_BYTES + ipLength) {
            throw new IllegalArgumentException("address attribute with family " + family + " and "
                    + value.length + " bytes");
        }
        int port = ((value[2] & 0xFF) << 8) | (value[3] & 0xFF);
        byte[] ip = new byte[ipLength];
        System.arraycopy(value, Stun.ADDRESS_VALUE_PREFIX_BYTES, ip, 0, ipLength);
        if (mask != null) {
            port ^= Stun.MAGIC_COOKIE >>> 16;
            for (int i = 0; i < ipLength; i++) {
                ip[i] ^= mask[i];
            }
        }
        try {
            // A literal: no name lookup. 16-byte IPv4-mapped forms come back as Inet4Address (Java's rule).
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static int family(byte[] ip) {
        return ip.length == 4 ? Stun.FAMILY_IPV4 : Stun.FAMILY_IPV6;
    }

    /** Magic cookie followed by the transaction ID (§14.2). */
    private static byte[] xorMask(byte[] transactionId) {
        if (transactionId.length != Stun.TRANSACTION_ID_BYTES) {
            throw new IllegalArgumentException("transaction ID of " + transactionId.length + " bytes");
        }
        return ByteBuffer.allocate(4 + Stun.TRANSACTION_ID_BYTES).putInt(Stun.MAGIC_COOKIE).put(transactionId)
                .array();
    }

    /** ERROR-CODE value (§14.8): 21 zero bits, class (hundreds), number (code % 100), UTF-8 reason phrase. */
    public static byte[] errorCode(int code, String reason) {
        if (code < 300 || code > 699) {
            throw new IllegalArgumentException("STUN error codes are 300..699, got " + code);
        }
        byte[] phrase = checkedText(reason, Stun.MAX_REASON_CHARS, Stun.MAX_REASON_BYTES, "reason phrase");
        return ByteBuffer.allocate(Stun.ERROR_CODE_PREFIX_BYTES + phrase.length)
                .putShort((short) 0).put((byte) (code / 100)).put((byte) (code % 100)).put(phrase).array();
    }

    /** The code of an ERROR-CODE value (§14.8). */
    public static int decodeErrorCode(byte[] value) {
        if (value.length < Stun.ERROR_CODE_PREFIX_BYTES) {
            throw new IllegalArgumentException("ERROR-CODE of " + value.length + " bytes");
        }
        return (value[2] & 0x07) * 100 + (value[3] & 0xFF);
    }

    /** The reason phrase of an ERROR-CODE value (§14.8). */
    public static String decodeErrorReason(byte[] value) {
        return new String(value, Stun.ERROR_CODE_PREFIX_BYTES, value.length - Stun.ERROR_CODE_PREFIX_BYTES,
                StandardCharsets.UTF_8);
    }

    /**
     * UNKNOWN-ATTRIBUTES value (§14.13): the 16-bit types. For an RFC 3489 client an odd count is made even by
     * repeating the last type, as RFC 3489 §11.2.10 required; RFC 8489 uses ordinary padding instead.
     */
    public static byte[] unknownAttributes(List<Integer> types, boolean rfc3489) {
        boolean repeatLast = rfc3489 && types.size() % 2 == 1;
        ByteBuffer out = ByteBuffer.allocate(2 * (types.size() + (repeatLast ? 1 : 0)));
        types.forEach(t -> out.putShort(t.shortValue()));
        if (repeatLast) {
            out.putShort(types.get(types.size() - 1).shortValue());
        }
        return out.array();
    }

    /** The types listed in an UNKNOWN-ATTRIBUTES value (§14.13). */
    public static List<Integer> decodeUnknownAttributes(byte[] value) {
        List<Integer> types = new ArrayList<>();
        for (int i = 0; i + 1 < value.length; i += 2) {
            types.add(((value[i] & 0xFF) << 8) | (value[i + 1] & 0xFF));
        }
        return types;
    }

    /** SOFTWARE value (§14.14): fewer than 128 characters of UTF-8. */
    public static byte[] software(String description) {
        return checkedText(description, Stun.MAX_SOFTWARE_CHARS, Stun.MAX_SOFTWARE_BYTES, "SOFTWARE");
    }

    private static byte[] checkedText(String text, int maxChars, int maxBytes, String what) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (text.codePointCount(0, text.length()) > maxChars || utf8.length > maxBytes) {
            throw new IllegalArgumentException(what + " must be under " + (maxChars + 1) + " characters and at most "
                    + maxBytes + " bytes: '" + text + "'");
        }
        return utf8;
    }
}
