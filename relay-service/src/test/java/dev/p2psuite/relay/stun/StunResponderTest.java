package dev.p2psuite.relay.stun;

import static dev.p2psuite.relay.stun.StunCodecTest.decoded;
import static dev.p2psuite.relay.stun.StunCodecTest.text;
import static dev.p2psuite.relay.stun.StunCodecTest.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** What the binding server answers (RFC 8489 §6.3, §11.2, §12) and what it silently drops. */
class StunResponderTest {

    private static final String SOFTWARE = "unit test";

    private final StunResponder responder = new StunResponder(SOFTWARE);
    private final InetSocketAddress v4 = address(Rfc5769.MAPPED_IPV4, Rfc5769.MAPPED_PORT);
    private final InetSocketAddress v6 = address(Rfc5769.MAPPED_IPV6, Rfc5769.MAPPED_PORT);

    @Test
    void aBindingRequestGetsItsSourceAddressInXorMappedAddressWithTheSameTransactionId() {
        byte[] request = request(Rfc5769.TRANSACTION_ID, true);

        StunResponder.Reply reply = responder.respond(request, request.length, v4);

        assertThat(reply.outcome()).isEqualTo(StunResponder.Outcome.SUCCESS);
        StunMessage response = decoded(reply.response()); // decodes = FINGERPRINT verified
        assertThat(response.type()).isEqualTo(Stun.BINDING_SUCCESS);
        assertThat(response.cookie()).isEqualTo(Stun.MAGIC_COOKIE);
        assertThat(response.transactionId()).isEqualTo(Rfc5769.TRANSACTION_ID);
        assertThat(response.attributes()).extracting(StunAttribute::type)
                .containsExactly(Stun.ATTR_XOR_MAPPED_ADDRESS, Stun.ATTR_SOFTWARE, Stun.ATTR_FINGERPRINT);
        assertThat(value(response, Stun.ATTR_XOR_MAPPED_ADDRESS))
                .as("the RFC 5769 §2.2 encoding of 192.0.2.1:32853").isEqualTo(Rfc5769.IPV4_XOR_MAPPED_ADDRESS);
        assertThat(text(response, Stun.ATTR_SOFTWARE)).isEqualTo(SOFTWARE);
        assertThat(reply.response().length).isLessThanOrEqualTo(Stun.MAX_RESPONSE_BYTES);
    }

    @Test
    void anIpv6SourceGetsAnIpv6XorMappedAddress() {
        byte[] request = request(Rfc5769.TRANSACTION_ID, false); // FINGERPRINT is optional in requests

        StunMessage response = decoded(responder.respond(request, request.length, v6).response());

        assertThat(value(response, Stun.ATTR_XOR_MAPPED_ADDRESS))
                .as("the RFC 5769 §2.3 encoding").isEqualTo(Rfc5769.IPV6_XOR_MAPPED_ADDRESS);
        assertThat(StunCodec.decodeXorMappedAddress(value(response, Stun.ATTR_XOR_MAPPED_ADDRESS),
                response.transactionId())).isEqualTo(v6);
    }

    @Test
    void theRfc5769SampleRequestGets420ForIcePriorityAndNothingElse() {
        // USERNAME and MESSAGE-INTEGRITY are known (ignored without credentials, §6.3); ICE-CONTROLLED is
        // comprehension-optional; PRIORITY (0x0024, RFC 8445) is comprehension-required and unknown here.
        StunResponder.Reply reply = responder.respond(Rfc5769.SAMPLE_REQUEST, Rfc5769.SAMPLE_REQUEST.length, v4);

        assertThat(reply.outcome()).isEqualTo(StunResponder.Outcome.ERROR);
        assertThat(reply.errorCode()).isEqualTo(420);
        StunMessage response = decoded(reply.response());
        assertThat(response.type()).isEqualTo(Stun.BINDING_ERROR);
        assertThat(response.transactionId()).isEqualTo(Rfc5769.TRANSACTION_ID);
        assertThat(StunCodec.decodeErrorCode(value(response, Stun.ATTR_ERROR_CODE))).isEqualTo(420);
        assertThat(StunCodec.decodeUnknownAttributes(value(response, Stun.ATTR_UNKNOWN_ATTRIBUTES)))
                .containsExactly(Stun.ATTR_PRIORITY);
        assertThat(response.first(Stun.ATTR_XOR_MAPPED_ADDRESS)).isEmpty();
    }

    @Test
    void unknownComprehensionRequiredAttributesGet420AndOptionalOnesAreIgnored() {
        byte[] both = request(Rfc5769.TRANSACTION_ID, true, new StunAttribute(0x7ABC, new byte[3]),
                new StunAttribute(0xC0DE, new byte[5]), new StunAttribute(0x7ABC, new byte[1]));
        StunMessage error = decoded(responder.respond(both, both.length, v4).response());
        assertThat(StunCodec.decodeErrorCode(value(error, Stun.ATTR_ERROR_CODE))).isEqualTo(420);
        assertThat(StunCodec.decodeUnknownAttributes(value(error, Stun.ATTR_UNKNOWN_ATTRIBUTES)))
                .containsExactly(0x7ABC);

        byte[] optionalOnly = request(Rfc5769.TRANSACTION_ID, true, new StunAttribute(0xC0DE, new byte[5]));
        assertThat(responder.respond(optionalOnly, optionalOnly.length, v4).outcome())
                .isEqualTo(StunResponder.Outcome.SUCCESS);
    }

    @Test
    void aRequestFullOfUnknownAttributesGetsABoundedList() {
        List<StunAttribute> many = new ArrayList<>();
        for (int t = 0x7000; t < 0x7000 + 200; t++) {
            many.add(new StunAttribute(t, new byte[0]));
        }
        byte[] request = request(Rfc5769.TRANSACTION_ID, true, many.toArray(StunAttribute[]::new));

        StunResponder.Reply reply = responder.respond(request, request.length, v4);

        assertThat(reply.response().length).isLessThanOrEqualTo(Stun.MAX_RESPONSE_BYTES);
        assertThat(StunCodec.decodeUnknownAttributes(value(decoded(reply.response()), Stun.ATTR_UNKNOWN_ATTRIBUTES)))
                .hasSize(Stun.MAX_UNKNOWN_ATTRIBUTES_LISTED).startsWith(0x7000, 0x7001);
    }

    @Test
    void attributesAfterMessageIntegrityAreIgnored() {
        byte[] request = request(Rfc5769.TRANSACTION_ID, true,
                new StunAttribute(Stun.ATTR_USERNAME, "a:b".getBytes()),
                new StunAttribute(Stun.ATTR_MESSAGE_INTEGRITY, new byte[20]),
                new StunAttribute(0x7ABC, new byte[4])); // §9: ignored, so no 420

        assertThat(responder.respond(request, request.length, v4).outcome()).isEqualTo(StunResponder.Outcome.SUCCESS);
    }

    @Test
    void anRfc3489ClientGetsMappedAddressAndItsWhole128BitTransactionIdBack() {
        // What Debian's `stun` sends for test I: no magic cookie, CHANGE-REQUEST asking for no change.
        byte[] request = Rfc5769.hex("00 01 00 08 01 a6 1b 50 c1 80 73 5e e4 8e 81 63 01 8d eb 24"
                + " 00 03 00 04 00 00 00 00");

        StunResponder.Reply reply = responder.respond(request, request.length, v4);

        assertThat(reply.outcome()).isEqualTo(StunResponder.Outcome.SUCCESS);
        StunMessage response = decoded(reply.response());
        assertThat(response.type()).isEqualTo(Stun.BINDING_SUCCESS);
        assertThat(Arrays.copyOfRange(reply.response(), 4, 20)).isEqualTo(Arrays.copyOfRange(request, 4, 20));
        assertThat(response.attributes()).extracting(StunAttribute::type)
                .as("RFC 3489 knows neither XOR-MAPPED-ADDRESS, SOFTWARE nor FINGERPRINT")
                .containsExactly(Stun.ATTR_MAPPED_ADDRESS);
        assertThat(StunCodec.decodeMappedAddress(value(response, Stun.ATTR_MAPPED_ADDRESS))).isEqualTo(v4);
    }

    @Test
    void aChangeRequestThatAsksForAChangeGets420AndAMalformedOne400() {
        byte[] changeIp = request(Rfc5769.TRANSACTION_ID, true,
                new StunAttribute(Stun.ATTR_CHANGE_REQUEST, new byte[] {0, 0, 0, Stun.CHANGE_REQUEST_CHANGE_IP}));
        StunResponder.Reply reply = responder.respond(changeIp, changeIp.length, v4);
        assertThat(reply.errorCode()).isEqualTo(420);
        assertThat(StunCodec.decodeUnknownAttributes(value(decoded(reply.response()), Stun.ATTR_UNKNOWN_ATTRIBUTES)))
                .containsExactly(Stun.ATTR_CHANGE_REQUEST);

        byte[] shortChange = request(Rfc5769.TRANSACTION_ID, true,
                new StunAttribute(Stun.ATTR_CHANGE_REQUEST, new byte[2]));
        assertThat(responder.respond(shortChange, shortChange.length, v4).errorCode()).isEqualTo(400);
    }

    @Test
    void anRfc3489ClientGets420WithAnEvenUnknownAttributesList() {
        byte[] request = Rfc5769.hex("00 01 00 08 01 a6 1b 50 c1 80 73 5e e4 8e 81 63 01 8d eb 24"
                + " 00 03 00 04 00 00 00 06"); // change IP and port: needs an alternate address we lack

        StunMessage response = decoded(responder.respond(request, request.length, v4).response());

        assertThat(response.classic()).isTrue();
        assertThat(value(response, Stun.ATTR_UNKNOWN_ATTRIBUTES)).isEqualTo(Rfc5769.hex("00 03 00 03"));
    }

    @Test
    void aTruncatedAttributeGets400WithTheRequestsTransactionId() {
        byte[] request = Rfc5769.hex("00 01 00 08 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
                + " 00 06 00 09 65 76 74 6a"); // USERNAME claims 9 bytes (12 padded); 4 are there

        StunResponder.Reply reply = responder.respond(request, request.length, v4);

        assertThat(reply.outcome()).isEqualTo(StunResponder.Outcome.ERROR);
        assertThat(reply.errorCode()).isEqualTo(400);
        StunMessage response = decoded(reply.response());
        assertThat(response.type()).isEqualTo(Stun.BINDING_ERROR);
        assertThat(response.transactionId()).isEqualTo(Rfc5769.TRANSACTION_ID);
        assertThat(StunCodec.decodeErrorCode(value(response, Stun.ATTR_ERROR_CODE))).isEqualTo(400);
        assertThat(StunCodec.decodeErrorReason(value(response, Stun.ATTR_ERROR_CODE))).isEqualTo("Bad Request");
    }

    @Test
    void malformedHeadersAreDroppedSilently() {
        byte[] ok = request(Rfc5769.TRANSACTION_ID, true);
        assertDropped(new byte[0], DropReason.TOO_SHORT);
        assertDropped(Arrays.copyOf(ok, 19), DropReason.TOO_SHORT);

        byte[] badCookie = ok.clone();
        badCookie[1] = 0x11; // an indication...
        badCookie[4] ^= 1;   // ...without the magic cookie: neither RFC 5389 nor an RFC 3489 request
        assertDropped(badCookie, DropReason.NOT_STUN);

        byte[] rtp = ok.clone();
        rtp[0] = (byte) 0x80;
        assertDropped(rtp, DropReason.NOT_STUN);

        byte[] badLength = ok.clone();
        badLength[3] += 4;
        assertDropped(badLength, DropReason.BAD_LENGTH);
        assertDropped(Arrays.copyOf(ok, ok.length + 4), DropReason.BAD_LENGTH);
        assertDropped(Arrays.copyOf(ok, ok.length - 4), DropReason.BAD_LENGTH);

        byte[] wrongFingerprint = ok.clone();
        wrongFingerprint[wrongFingerprint.length - 2] ^= 0x40;
        assertDropped(wrongFingerprint, DropReason.BAD_FINGERPRINT);
    }

    @Test
    void responsesIndicationsAndOtherMethodsAreDroppedSilently() {
        for (int type : List.of(Stun.BINDING_SUCCESS, Stun.BINDING_ERROR,
                Stun.messageType(Stun.METHOD_BINDING, Stun.MessageClass.INDICATION))) {
            byte[] m = StunCodec.encode(new StunMessage(type, Rfc5769.TRANSACTION_ID, List.of()), true);
            assertDropped(m, DropReason.NOT_A_REQUEST);
        }
        assertDropped(Rfc5769.IPV4_RESPONSE, DropReason.NOT_A_REQUEST);
        byte[] allocate = StunCodec.encode(new StunMessage(Stun.messageType(0x003, Stun.MessageClass.REQUEST),
                Rfc5769.TRANSACTION_ID, List.of()), true); // TURN Allocate (RFC 8656)
        assertDropped(allocate, DropReason.UNSUPPORTED_METHOD);
        byte[] truncatedIndication = Rfc5769.hex("00 11 00 04 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
                + " 00 06 00 09");
        assertDropped(truncatedIndication, DropReason.NOT_A_REQUEST);
    }

    @Test
    void datagramsOverTheSizeLimitAreDroppedUnread() {
        byte[] big = request(Rfc5769.TRANSACTION_ID, true,
                new StunAttribute(0xC0DE, new byte[Stun.MAX_REQUEST_BYTES - 20 - 8 - 4 + 4]));
        assertThat(big.length).isGreaterThan(Stun.MAX_REQUEST_BYTES);
        assertDropped(big, DropReason.TOO_LARGE);

        byte[] atLimit = request(Rfc5769.TRANSACTION_ID, true,
                new StunAttribute(0xC0DE, new byte[Stun.MAX_REQUEST_BYTES - 20 - 8 - 4]));
        assertThat(atLimit.length).isEqualTo(Stun.MAX_REQUEST_BYTES);
        assertThat(responder.respond(atLimit, atLimit.length, v4).outcome()).isEqualTo(StunResponder.Outcome.SUCCESS);
    }

    @Test
    void onlyTheGivenLengthOfTheBufferIsRead() {
        byte[] request = request(Rfc5769.TRANSACTION_ID, true);
        byte[] buffer = Arrays.copyOf(request, Stun.MAX_REQUEST_BYTES + 1); // a receive buffer with stale bytes
        Arrays.fill(buffer, request.length, buffer.length, (byte) 0x55);

        assertThat(responder.respond(buffer, request.length, v4).response())
                .isEqualTo(responder.respond(request, request.length, v4).response());
    }

    @Test
    void theAnswerDependsOnTheRequestAndSourceOnlySoRetransmissionsGetTheSameBytes() {
        byte[] request = request(Rfc5769.TRANSACTION_ID, true);
        byte[] first = responder.respond(request, request.length, v4).response();
        responder.respond(Rfc5769.SAMPLE_REQUEST, Rfc5769.SAMPLE_REQUEST.length, v6);
        assertThat(new StunResponder(SOFTWARE).respond(request, request.length, v4).response()).isEqualTo(first);
        assertThat(responder.respond(request, request.length, v4).response()).isEqualTo(first);
    }

    @Test
    void softwareThatWouldOverflowTheResponseLimitIsRefused() {
        // 127 characters but 508 bytes of UTF-8: a 420 with the longest UNKNOWN-ATTRIBUTES would not fit
        assertThatThrownBy(() -> new StunResponder("\uD83D\uDE00".repeat(127)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("548");
        byte[] request = request(Rfc5769.TRANSACTION_ID, true);
        StunMessage bare = decoded(new StunResponder(null).respond(request, request.length, v4).response());
        assertThat(bare.first(Stun.ATTR_SOFTWARE)).isEmpty();
    }

    @Test
    void randomAndMutatedDatagramsNeverBreakTheResponder() {
        Random random = new Random(8489);
        byte[] seed = request(Rfc5769.TRANSACTION_ID, true, new StunAttribute(Stun.ATTR_USERNAME, new byte[7]),
                new StunAttribute(0xC0DE, new byte[2]));
        for (int i = 0; i < 20_000; i++) {
            byte[] data;
            if (random.nextBoolean()) {
                data = seed.clone();
                for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                    data[random.nextInt(data.length)] ^= (byte) (1 << random.nextInt(8));
                }
            } else {
                data = new byte[random.nextInt(64)];
                random.nextBytes(data);
            }
            InetSocketAddress source = random.nextBoolean() ? v4 : v6;
            StunResponder.Reply reply = responder.respond(data, data.length, source);
            if (reply.response() != null) {
                assertThat(reply.response().length).isLessThanOrEqualTo(Stun.MAX_RESPONSE_BYTES);
                StunMessage response = decoded(reply.response());
                assertThat(response.method()).isEqualTo(Stun.METHOD_BINDING);
                assertThat(Arrays.copyOfRange(reply.response(), 4, 20)).isEqualTo(Arrays.copyOfRange(data, 4, 20));
            }
        }
    }

    private void assertDropped(byte[] datagram, DropReason reason) {
        StunResponder.Reply reply = responder.respond(datagram, datagram.length, v4);
        assertThat(reply.outcome()).as(reply.detail()).isEqualTo(StunResponder.Outcome.DROPPED);
        assertThat(reply.dropReason()).as(reply.detail()).isEqualTo(reason);
        assertThat(reply.bytes()).isEmpty();
    }

    static byte[] request(byte[] transactionId, boolean fingerprint, StunAttribute... attributes) {
        return StunCodec.encode(new StunMessage(Stun.BINDING_REQUEST, transactionId, List.of(attributes)),
                fingerprint);
    }

    private static InetSocketAddress address(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), port);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
