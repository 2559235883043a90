package dev.p2psuite.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NodeIdTest {

    private static NodeId idWithLastByte(int b) {
        byte[] bytes = new byte[NodeId.LENGTH_BYTES];
        bytes[NodeId.LENGTH_BYTES - 1] = (byte) b;
        return NodeId.of(bytes);
    }

    private static NodeId idWithFirstByte(int b) {
        byte[] bytes = new byte[NodeId.LENGTH_BYTES];
        bytes[0] = (byte) b;
        return NodeId.of(bytes);
    }

    @Test
    void wrongLengthIsRejectedWithTheActualLength() {
        assertThatThrownBy(() -> NodeId.of(new byte[19]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("node ID must be 20 bytes, got 19");
        assertThatThrownBy(() -> NodeId.of(new byte[32]))
                .hasMessage("node ID must be 20 bytes, got 32");
    }

    @Test
    void idIsACopyUnaffectedByLaterChangesToEitherArray() {
        byte[] bytes = new byte[20];
        NodeId id = NodeId.of(bytes);
        bytes[0] = 1;
        id.bytes()[1] = 1;
        assertThat(id.bytes()).containsOnly(0);
    }

    @Test
    void idFromPublicKeyIsSha1OfTheRawKey() throws Exception {
        byte[] publicKey = TestSupport.key(1).publicKey();
        byte[] sha1 = MessageDigest.getInstance("SHA-1").digest(publicKey);
        assertThat(NodeId.fromPublicKey(publicKey).bytes()).isEqualTo(sha1);
        assertThat(TestSupport.key(1).nodeId()).isEqualTo(NodeId.of(sha1));
    }

    @Test
    void idFromPublicKeyRejectsAKeyOfTheWrongLength() {
        assertThatThrownBy(() -> NodeId.fromPublicKey(new byte[33]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 bytes, got 33");
    }

    @Test
    void hexIsLowercaseAndParsingAcceptsEitherCase() {
        NodeId id = NodeId.fromHex("00112233445566778899AABBCCDDEEFF01234567");
        assertThat(id.toHex()).isEqualTo("00112233445566778899aabbccddeeff01234567");
        assertThat(NodeId.fromHex(id.toHex())).isEqualTo(id);
    }

    @Test
    void hexOfTheWrongLengthOrWithNonHexCharactersIsRejectedClearly() {
        assertThatThrownBy(() -> NodeId.fromHex("abc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("node ID must be 40 hex characters, got 3");
        assertThatThrownBy(() -> NodeId.fromHex("0011223344556677889900112233445566778g99"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("node ID contains a non-hex character 'g' at index 37");
    }

    @Test
    void toStringIsAShortHexPrefix() {
        NodeId id = NodeId.fromHex("00112233445566778899aabbccddeeff01234567");
        assertThat(id.toString()).isEqualTo("001122334455");
    }

    @Test
    void orderIsUnsignedBigEndian() {
        assertThat(idWithFirstByte(0x80)).isGreaterThan(idWithFirstByte(0x7f));
        assertThat(idWithFirstByte(0x01)).isGreaterThan(idWithLastByte(0xff));
        assertThat(idWithLastByte(5)).isEqualByComparingTo(idWithLastByte(5));
    }

    @Test
    void commonPrefixLengthCountsSharedLeadingBits() {
        NodeId zero = idWithLastByte(0);
        assertThat(zero.commonPrefixLength(zero)).isEqualTo(160);
        assertThat(zero.commonPrefixLength(idWithFirstByte(0x80))).isEqualTo(0);
        assertThat(zero.commonPrefixLength(idWithFirstByte(0x01))).isEqualTo(7);
        assertThat(zero.commonPrefixLength(idWithLastByte(1))).isEqualTo(159);
    }

    @Test
    void sortingByDistancePutsTheClosestByXorFirst() {
        NodeId target = idWithLastByte(0b0101);
        List<NodeId> ids = new ArrayList<>(List.of(
                idWithFirstByte(1), idWithLastByte(0b0100), idWithLastByte(0b0101), idWithLastByte(0b0001),
                idWithLastByte(0b1101)));
        ids.sort(NodeId.byDistanceTo(target));
        assertThat(ids).containsExactly(
                idWithLastByte(0b0101), idWithLastByte(0b0100), idWithLastByte(0b0001), idWithLastByte(0b1101),
                idWithFirstByte(1));
    }

    @Test
    void randomIdIsReproducibleFromASeed() {
        assertThat(NodeId.random(new SplittableRandom(7))).isEqualTo(NodeId.random(new SplittableRandom(7)));
        assertThat(NodeId.random(new SplittableRandom(7))).isNotEqualTo(NodeId.random(new SplittableRandom(8)));
    }

    @Test
    void randomIdWithCommonPrefixFallsInThatBucket() {
        NodeId base = NodeId.random(new SplittableRandom(1));
        SplittableRandom random = new SplittableRandom(2);
        for (int prefix = 0; prefix < NodeId.LENGTH_BITS; prefix++) {
            assertThat(base.commonPrefixLength(NodeId.randomWithCommonPrefix(base, prefix, random))).isEqualTo(prefix);
        }
        assertThatThrownBy(() -> NodeId.randomWithCommonPrefix(base, 160, random))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bitIsCountedFromTheMostSignificantEnd() {
        NodeId id = idWithFirstByte(0b0100_0000);
        assertThat(id.bit(0)).isFalse();
        assertThat(id.bit(1)).isTrue();
        assertThat(idWithLastByte(1).bit(159)).isTrue();
    }

    @Test
    void equalIdsHaveEqualHashCodes() {
        byte[] b = new byte[20];
        Arrays.fill(b, (byte) 9);
        assertThat(NodeId.of(b)).isEqualTo(NodeId.of(b.clone())).hasSameHashCodeAs(NodeId.of(b.clone()));
    }
}
