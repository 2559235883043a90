package dev.p2psuite.relay.stun;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The STUN codec against RFC 8489's rules and RFC 5769's test vectors. */
class StunCodecTest {

    @Test
    void messageTypesInterleaveMethodAndClassBits() {
        assertThat(Stun.BINDING_REQUEST).isEqualTo(0x0001);
        assertThat(Stun.BINDING_SUCCESS).isEqualTo(0x0101);
        assertThat(Stun.BINDING_ERROR).isEqualTo(0x0111);
        assertThat(Stun.messageType(Stun.METHOD_BINDING, Stun.MessageClass.INDICATION)).isEqualTo(0x0011);
        for (int method = 0; method <= Stun.METHOD_MAX; method++) {
            for (Stun.MessageClass c : Stun.MessageClass.values()) {
                int type = Stun.messageType(method, c);
                assertThat(type & Stun.TYPE_TOP_BITS_MASK).isZero();
                assertThat(Stun.method(type)).isEqualTo(method);
                assertThat(Stun.messageClass(type)).isEqualTo(c);
            }
        }
    }

    @Test
    void rfc5769SampleRequestDecodesWithItsFingerprintVerified() {
        StunMessage m = decoded(Rfc5769.SAMPLE_REQUEST);

        assertThat(m.type()).isEqualTo(Stun.BINDING_REQUEST);
        assertThat(m.classic()).isFalse();
        assertThat(m.transactionId()).isEqualTo(Rfc5769.TRANSACTION_ID);
        assertThat(m.attributes()).extracting(StunAttribute::type)
                .containsExactly(0x8022, 0x0024, 0x8029, 0x0006, 0x0008, 0x8028);
        assertThat(text(m, Stun.ATTR_SOFTWARE)).isEqualTo("STUN test client");
        assertThat(text(m, Stun.ATTR_USERNAME)).as("9 bytes, the 3 padding bytes excluded").isEqualTo("evtj:h6vY");
        assertThat(StunCodec.fingerprint(Rfc5769.SAMPLE_REQUEST, 0, Rfc5769.SAMPLE_REQUEST.length - 8))
                .isEqualTo(0xe57a3bcf);
    }

    @Test
    void rfc5769Ipv4ResponseXorMappedAddressAndFingerprint() throws Exception {
        StunMessage m = decoded(Rfc5769.IPV4_RESPONSE);
        InetSocketAddress mapped = new InetSocketAddress(InetAddress.getByName(Rfc5769.MAPPED_IPV4),
                Rfc5769.MAPPED_PORT);

        assertThat(m.type()).isEqualTo(Stun.BINDING_SUCCESS);
        assertThat(text(m, Stun.ATTR_SOFTWARE)).isEqualTo("test vector");
        assertThat(StunCodec.decodeXorMappedAddress(value(m, Stun.ATTR_XOR_MAPPED_ADDRESS), m.transactionId()))
                .isEqualTo(mapped);
        assertThat(StunCodec.xorMappedAddress(mapped, Rfc5769.TRANSACTION_ID))
                .isEqualTo(Rfc5769.IPV4_XOR_MAPPED_ADDRESS);
        assertThat(StunCodec.fingerprint(Rfc5769.IPV4_RESPONSE, 0, Rfc5769.IPV4_RESPONSE.length - 8))
                .isEqualTo(0xc07d4c96);
    }

    @Test
    void rfc5769Ipv6ResponseXorMappedAddressAndFingerprint() throws Exception {
        StunMessage m = decoded(Rfc5769.IPV6_RESPONSE);
        InetSocketAddress mapped = new InetSocketAddress(InetAddress.getByName(Rfc5769.MAPPED_IPV6),
                Rfc5769.MAPPED_PORT);

        assertThat(StunCodec.decodeXorMappedAddress(value(m, Stun.ATTR_XOR_MAPPED_ADDRESS), m.transactionId()))
                .isEqualTo(mapped);
        assertThat(StunCodec.xorMappedAddress(mapped, Rfc5769.TRANSACTION_ID))
                .isEqualTo(Rfc5769.IPV6_XOR_MAPPED_ADDRESS);
        assertThat(StunCodec.fingerprint(Rfc5769.IPV6_RESPONSE, 0, Rfc5769.IPV6_RESPONSE.length - 8))
                .isEqualTo(0xc8fb0b4c);
    }

    @Test
    void everyCorruptedByteBeforeTheFingerprintIsCaught() {
        for (byte[] vector : List.of(Rfc5769.SAMPLE_REQUEST, Rfc5769.IPV4_RESPONSE, Rfc5769.IPV6_RESPONSE)) {
            for (int i = 0; i < vector.length - Stun.FINGERPRINT_ATTRIBUTE_BYTES; i++) {
                byte[] corrupt = vector.clone();
                corrupt[i] ^= (byte) 0xFF;
                assertThat(StunCodec.decode(corrupt)).as("byte %d flipped", i)
                        .isNotInstanceOf(StunDecodeResult.Decoded.class);
            }
        }
    }

    @Test
    void encodePadsValuesWithZerosCountsThemInTheLengthAndEndsWithAFingerprint() {
        byte[] id = new byte[12];
        Arrays.fill(id, (byte) 7);
        StunMessage message = new StunMessage(Stun.BINDING_REQUEST, id, List.of(
                new StunAttribute(Stun.ATTR_SOFTWARE, "abcde".getBytes(StandardCharsets.UTF_8)),
                new StunAttribute(0xC001, new byte[0])));

        byte[] wire = StunCodec.encode(message, true);

        assertThat(wire).hasSize(20 + (4 + 8) + 4 + 8);
        assertThat(ByteBuffer.wrap(wire).getShort(2)).isEqualTo((short) (wire.length - 20));
        assertThat(Arrays.copyOfRange(wire, 20 + 4 + 5, 20 + 4 + 8)).containsOnly(0);
        StunMessage back = decoded(wire);
        assertThat(back.attributes().subList(0, 2)).isEqualTo(message.attributes());
        assertThat(back.attributes().get(2).type()).isEqualTo(Stun.ATTR_FINGERPRINT);
        assertThat(StunCodec.encode(message, false)).hasSize(wire.length - 8);
    }

    @Test
    void headerChecksDropWhatIsNotStun() {
        byte[] ok = StunCodec.encode(new StunMessage(Stun.BINDING_REQUEST, new byte[12], List.of()), false);
        assertThat(dropReason(new byte[0])).isEqualTo(DropReason.TOO_SHORT);
        assertThat(dropReason(Arrays.copyOf(ok, 19))).isEqualTo(DropReason.TOO_SHORT);

        byte[] topBits = ok.clone();
        topBits[0] = (byte) 0x80; // RTP, DTLS and others start with the top bits set (§5)
        assertThat(dropReason(topBits)).isEqualTo(DropReason.NOT_STUN);

        byte[] unaligned = ok.clone();
        unaligned[3] = 2;
        assertThat(dropReason(Arrays.copyOf(unaligned, 22))).isEqualTo(DropReason.BAD_LENGTH);
        byte[] tooLong = Arrays.copyOf(ok, 24); // header says 0, datagram has 4 more bytes
        assertThat(dropReason(tooLong)).isEqualTo(DropReason.BAD_LENGTH);
        byte[] claimsMore = ok.clone();
        claimsMore[3] = 8; // header says 8, datagram has none
        assertThat(dropReason(claimsMore)).isEqualTo(DropReason.BAD_LENGTH);

        byte[] noCookieIndication = ok.clone();
        noCookieIndication[1] = 0x11;
        noCookieIndication[4] = 0;
        assertThat(dropReason(noCookieIndication)).isEqualTo(DropReason.NOT_STUN);
    }

    @Test
    void aBindingRequestWithoutTheMagicCookieIsAnRfc3489Request() {
        byte[] classic = Rfc5769.hex("00 01 00 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10");
        StunMessage m = decoded(classic);
        assertThat(m.classic()).isTrue();
        assertThat(m.cookie()).isEqualTo(0x01020304);
        assertThat(StunCodec.encode(m, false)).isEqualTo(classic);
    }

    @Test
    void anAttributeOverrunningTheMessageIsMalformedButKeepsTheHeader() {
        byte[] wire = Rfc5769.hex("00 01 00 08 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
                + " 00 06 00 09 65 76 74 6a"); // USERNAME says 9 bytes, 4 are there
        StunDecodeResult r = StunCodec.decode(wire);
        assertThat(r).isInstanceOf(StunDecodeResult.Malformed.class);
        StunMessage header = ((StunDecodeResult.Malformed) r).header();
        assertThat(header.type()).isEqualTo(Stun.BINDING_REQUEST);
        assertThat(header.transactionId()).isEqualTo(Rfc5769.TRANSACTION_ID);
        assertThat(((StunDecodeResult.Malformed) r).detail()).contains("0x0006");
    }

    @Test
    void aFingerprintThatIsWrongMisSizedOrNotLastDropsTheMessage() {
        byte[] wrong = Rfc5769.SAMPLE_REQUEST.clone();
        wrong[wrong.length - 1] ^= 1;
        assertThat(dropReason(wrong)).isEqualTo(DropReason.BAD_FINGERPRINT);

        byte[] id = new byte[12];
        byte[] notLast = StunCodec.encode(new StunMessage(Stun.BINDING_REQUEST, id, List.of(
                new StunAttribute(Stun.ATTR_FINGERPRINT, new byte[4]),
                new StunAttribute(Stun.ATTR_SOFTWARE, new byte[4]))), false);
        assertThat(dropReason(notLast)).isEqualTo(DropReason.BAD_FINGERPRINT);

        byte[] misSized = StunCodec.encode(new StunMessage(Stun.BINDING_REQUEST, id, List.of(
                new StunAttribute(Stun.ATTR_FINGERPRINT, new byte[8]))), false);
        assertThat(dropReason(misSized)).isEqualTo(DropReason.BAD_FINGERPRINT);
    }

    @Test
    void addressAttributesRoundTripForBothFamilies() throws Exception {
        byte[] id = new byte[12];
        new Random(1).nextBytes(id);
        for (String ip : List.of("203.0.113.9", "::1", "2001:db8::42", "0.0.0.0")) {
            InetSocketAddress a = new InetSocketAddress(InetAddress.getByName(ip), 65535);
            assertThat(StunCodec.decodeXorMappedAddress(StunCodec.xorMappedAddress(a, id), id)).isEqualTo(a);
            assertThat(StunCodec.decodeMappedAddress(StunCodec.mappedAddress(a))).isEqualTo(a);
        }
        assertThat(StunCodec.mappedAddress(new InetSocketAddress(InetAddress.getByName("192.0.2.1"), 32853)))
                .isEqualTo(Rfc5769.hex("00 01 80 55 c0 00 02 01"));
        assertThatThrownBy(() -> StunCodec.decodeMappedAddress(Rfc5769.hex("00 03 00 01 01 02 03 04")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StunCodec.decodeMappedAddress(Rfc5769.hex("00 01 00 01 01 02 03")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void errorCodeAndUnknownAttributesValues() {
        byte[] e = StunCodec.errorCode(420, "Unknown Attribute");
        assertThat(Arrays.copyOf(e, 4)).isEqualTo(new byte[] {0, 0, 4, 20});
        assertThat(StunCodec.decodeErrorCode(e)).isEqualTo(420);
        assertThat(StunCodec.decodeErrorReason(e)).isEqualTo("Unknown Attribute");
        assertThat(StunCodec.decodeErrorCode(StunCodec.errorCode(400, "Bad Request"))).isEqualTo(400);
        assertThatThrownBy(() -> StunCodec.errorCode(200, "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StunCodec.errorCode(400, "x".repeat(128)))
                .isInstanceOf(IllegalArgumentException.class);

        assertThat(StunCodec.unknownAttributes(List.of(0x0024, 0x7001, 0x0003), false))
                .isEqualTo(Rfc5769.hex("00 24 70 01 00 03"));
        assertThat(StunCodec.unknownAttributes(List.of(0x0024, 0x7001, 0x0003), true))
                .as("RFC 3489 §11.2.10: an odd count repeats one type")
                .isEqualTo(Rfc5769.hex("00 24 70 01 00 03 00 03"));
        assertThat(StunCodec.decodeUnknownAttributes(Rfc5769.hex("00 24 70 01"))).containsExactly(0x0024, 0x7001);
    }

    @Test
    void softwareIsFewerThan128Characters() {
        assertThat(StunCodec.software("x".repeat(127))).hasSize(127);
        assertThatThrownBy(() -> StunCodec.software("x".repeat(128))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decodingRandomBytesNeverThrows() {
        Random random = new Random(5769);
        for (int i = 0; i < 20_000; i++) {
            byte[] data = new byte[random.nextInt(80)];
            random.nextBytes(data);
            if (data.length >= 20 && random.nextBoolean()) { // often a plausible header, so attributes get parsed
                data[0] &= 0x3F;
                ByteBuffer.wrap(data).putShort(2, (short) ((data.length - 20) & ~3)).putInt(4, Stun.MAGIC_COOKIE);
            }
            assertThat(StunCodec.decode(data)).isNotNull();
        }
    }

    static StunMessage decoded(byte[] wire) {
        StunDecodeResult r = StunCodec.decode(wire);
        assertThat(r).isInstanceOf(StunDecodeResult.Decoded.class);
        return ((StunDecodeResult.Decoded) r).message();
    }

    static DropReason dropReason(byte[] wire) {
        StunDecodeResult r = StunCodec.decode(wire);
        assertThat(r).isInstanceOf(StunDecodeResult.Dropped.class);
        return ((StunDecodeResult.Dropped) r).reason();
    }

    static byte[] value(StunMessage m, int type) {
        return m.first(type).orElseThrow(() -> new AssertionError("no attribute " + type + " in " + m)).value();
    }

    static String text(StunMessage m, int type) {
        return new String(value(m, type), StandardCharsets.UTF_8);
    }
}
