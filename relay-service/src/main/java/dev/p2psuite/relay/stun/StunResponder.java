package dev.p2psuite.relay.stun;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The STUN binding server (RFC 8489 §12, "Basic Server Behavior"): maps a request datagram and the transport
 * address it came from to the response datagram, or to nothing. Stateless: no state is kept between requests,
 * and the same input always gives the same output, so retransmissions are answered identically (§6.3.1).
 * Thread-safe. No credentials, no ALTERNATE-SERVER (§12).
 */
public final class StunResponder {

    /** Reason phrases (§14.8); fixed, so the worst-case response size is known (see the constructor). */
    static final String REASON_BAD_REQUEST = "Bad Request";
    static final String REASON_UNKNOWN_ATTRIBUTE = "Unknown Attribute";

    /**
     * Comprehension-required attributes this server understands (§14, §18.3). Those that have no meaning in a
     * Binding request to a server without credentials are known-but-unexpected and ignored (§6.3);
     * CHANGE-REQUEST is handled apart. Any other type below 0x8000 gets a 420 (§6.3.1).
     */
    static final Set<Integer> KNOWN_REQUIRED = Set.of(
            Stun.ATTR_MAPPED_ADDRESS, Stun.ATTR_USERNAME, Stun.ATTR_MESSAGE_INTEGRITY, Stun.ATTR_ERROR_CODE,
            Stun.ATTR_UNKNOWN_ATTRIBUTES, Stun.ATTR_REALM, Stun.ATTR_NONCE, Stun.ATTR_MESSAGE_INTEGRITY_SHA256,
            Stun.ATTR_PASSWORD_ALGORITHM, Stun.ATTR_USERHASH, Stun.ATTR_XOR_MAPPED_ADDRESS,
            Stun.ATTR_CHANGE_REQUEST);

    /** What happened to a datagram. */
    public enum Outcome {
        /** Answered with a Binding success response. */
        SUCCESS,
        /** Answered with a Binding error response (400 or 420). */
        ERROR,
        /** Silently discarded (§6.3). */
        DROPPED
    }

    /**
     * The answer to one datagram: {@code response} is null when dropped; {@code errorCode} is 0 unless ERROR;
     * {@code dropReason} is null unless DROPPED; {@code detail} explains errors and drops, for debug logs.
     */
    public record Reply(Outcome outcome, byte[] response, int errorCode, DropReason dropReason, String detail) {

        static Reply success(byte[] response) {
            return new Reply(Outcome.SUCCESS, response, 0, null, "");
        }

        static Reply error(int code, byte[] response, String detail) {
            return new Reply(Outcome.ERROR, response, code, null, detail);
        }

        static Reply dropped(DropReason reason, String detail) {
            return new Reply(Outcome.DROPPED, null, 0, reason, detail);
        }

        /** The datagram to send back to the source, if any. */
        public Optional<byte[]> bytes() {
            return Optional.ofNullable(response);
        }
    }

    private final byte[] software;

    /**
     * @param software the SOFTWARE attribute put in every response (§14.14), or null/empty for none; it must
     *                 leave every response within {@link Stun#MAX_RESPONSE_BYTES}
     */
    public StunResponder(String software) {
        this.software = software == null || software.isEmpty() ? null : StunCodec.software(software);
        int worst = worstCaseResponseBytes();
        if (worst > Stun.MAX_RESPONSE_BYTES) {
            throw new IllegalArgumentException("SOFTWARE '" + software + "' would make responses of " + worst
                    + " bytes, over the " + Stun.MAX_RESPONSE_BYTES + "-byte limit (RFC 8489 §6.2.1)");
        }
    }

    /** Answers the first {@code length} bytes of {@code datagram}, received from {@code source}. */
    public Reply respond(byte[] datagram, int length, InetSocketAddress source) {
        if (length > Stun.MAX_REQUEST_BYTES) {
            return Reply.dropped(DropReason.TOO_LARGE,
                    length + " bytes, over the " + Stun.MAX_REQUEST_BYTES + "-byte limit");
        }
        StunDecodeResult decoded = StunCodec.decode(datagram, 0, length);
        if (decoded instanceof StunDecodeResult.Dropped d) { // §6.3: discard silently
            return Reply.dropped(d.reason(), d.detail());
        }
        StunMessage request = decoded instanceof StunDecodeResult.Decoded ok ? ok.message()
                : ((StunDecodeResult.Malformed) decoded).header();
        if (request.messageClass() != Stun.MessageClass.REQUEST) {
            // §6.3: a response matches no transaction of ours; §6.3.2: indications get no response.
            return Reply.dropped(DropReason.NOT_A_REQUEST, "message class " + request.messageClass());
        }
        if (request.method() != Stun.METHOD_BINDING) { // §6.3: the method must be supported; §12: only Binding
            return Reply.dropped(DropReason.UNSUPPORTED_METHOD, String.format("method 0x%03X", request.method()));
        }
        if (decoded instanceof StunDecodeResult.Malformed m) { // §14.8: 400 "The request was malformed"
            return error(request, Stun.ERROR_BAD_REQUEST, REASON_BAD_REQUEST, List.of(), m.detail());
        }

        Set<Integer> unknown = new LinkedHashSet<>();
        boolean afterIntegrity = false;
        boolean afterIntegritySha256Only = false;
        for (StunAttribute a : request.attributes()) {
            int type = a.type();
            // §9: attributes after MESSAGE-INTEGRITY are ignored except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT;
            // after MESSAGE-INTEGRITY-SHA256 alone, all but FINGERPRINT are.
            if (afterIntegrity && type != Stun.ATTR_MESSAGE_INTEGRITY_SHA256 && type != Stun.ATTR_FINGERPRINT
                    || afterIntegritySha256Only && type != Stun.ATTR_FINGERPRINT) {
                continue;
            }
            if (type == Stun.ATTR_MESSAGE_INTEGRITY) {
                afterIntegrity = true;
            } else if (type == Stun.ATTR_MESSAGE_INTEGRITY_SHA256 && !afterIntegrity) {
                afterIntegritySha256Only = true;
            } else if (type == Stun.ATTR_CHANGE_REQUEST) {
                if (a.length() != Stun.CHANGE_REQUEST_VALUE_BYTES) {
                    return error(request, Stun.ERROR_BAD_REQUEST, REASON_BAD_REQUEST, List.of(),
                            "CHANGE-REQUEST of " + a.length() + " bytes");
                }
                byte[] v = a.value();
                int flags = v[3] & (Stun.CHANGE_REQUEST_CHANGE_IP | Stun.CHANGE_REQUEST_CHANGE_PORT);
                if (flags != 0) {
                    // RFC 5780 §7.2: a server without an alternate address cannot change IP or port: 420.
                    // A CHANGE-REQUEST asking for no change (RFC 3489 clients send one in test I) is honoured.
                    unknown.add(type);
                }
            } else if (Stun.comprehensionRequired(type) && !KNOWN_REQUIRED.contains(type)) {
                unknown.add(type); // §6.3.1
            }
        }
        if (!unknown.isEmpty()) { // §6.3.1: 420 with UNKNOWN-ATTRIBUTES (§14.13)
            List<Integer> listed = new ArrayList<>(unknown).subList(0,
                    Math.min(unknown.size(), Stun.MAX_UNKNOWN_ATTRIBUTES_LISTED));
            return error(request, Stun.ERROR_UNKNOWN_ATTRIBUTE, REASON_UNKNOWN_ATTRIBUTE, listed,
                    "unknown comprehension-required attributes " + hex(listed));
        }

        // §12: the success response carries the request's source transport address in XOR-MAPPED-ADDRESS;
        // §11.2: an RFC 3489 client gets MAPPED-ADDRESS instead, with its cookie field copied back.
        List<StunAttribute> attributes = new ArrayList<>(2);
        attributes.add(request.classic()
                ? new StunAttribute(Stun.ATTR_MAPPED_ADDRESS, StunCodec.mappedAddress(source))
                : new StunAttribute(Stun.ATTR_XOR_MAPPED_ADDRESS,
                        StunCodec.xorMappedAddress(source, request.transactionId())));
        return Reply.success(build(request, Stun.BINDING_SUCCESS, attributes));
    }

    private Reply error(StunMessage request, int code, String reason, List<Integer> unknown, String detail) {
        List<StunAttribute> attributes = new ArrayList<>(2);
        attributes.add(new StunAttribute(Stun.ATTR_ERROR_CODE, StunCodec.errorCode(code, reason)));
        if (!unknown.isEmpty()) {
            attributes.add(new StunAttribute(Stun.ATTR_UNKNOWN_ATTRIBUTES,
                    StunCodec.unknownAttributes(unknown, request.classic())));
        }
        return Reply.error(code, build(request, Stun.BINDING_ERROR, attributes), detail);
    }

    /**
     * A response to {@code request}: same cookie field and transaction ID (§6.3.1.1, §11.2), then the given
     * attributes; for RFC 5389/8489 clients also SOFTWARE (§14.14) and FINGERPRINT (§7). RFC 3489 clients get
     * neither: RFC 3489 defines no such attributes, and its reference client (Debian's {@code stun}) reads 0x8022
     * as its draft SERVER attribute and rejects the whole response unless the value length is a multiple of 4.
     */
    private byte[] build(StunMessage request, int type, List<StunAttribute> attributes) {
        List<StunAttribute> all = new ArrayList<>(attributes);
        if (software != null && !request.classic()) {
            all.add(new StunAttribute(Stun.ATTR_SOFTWARE, software));
        }
        byte[] bytes = StunCodec.encode(new StunMessage(type, request.cookie(), request.transactionId(), all),
                !request.classic());
        if (bytes.length > Stun.MAX_RESPONSE_BYTES) { // ruled out by the constructor's check
            throw new IllegalStateException("response of " + bytes.length + " bytes");
        }
        return bytes;
    }

    /** Size of the largest response this responder can build: a 420 listing the most types it ever lists. */
    private int worstCaseResponseBytes() {
        int size = Stun.HEADER_BYTES
                + Stun.ATTRIBUTE_HEADER_BYTES + Stun.padded(StunCodec.errorCode(Stun.ERROR_UNKNOWN_ATTRIBUTE,
                        REASON_UNKNOWN_ATTRIBUTE).length)
                + Stun.ATTRIBUTE_HEADER_BYTES + Stun.padded(2 * (Stun.MAX_UNKNOWN_ATTRIBUTES_LISTED + 1))
                + Stun.FINGERPRINT_ATTRIBUTE_BYTES;
        if (software != null) {
            size += Stun.ATTRIBUTE_HEADER_BYTES + Stun.padded(software.length);
        }
        return size;
    }

    private static String hex(List<Integer> types) {
        return types.stream().map(t -> String.format("0x%04X", t)).toList().toString();
    }
}
