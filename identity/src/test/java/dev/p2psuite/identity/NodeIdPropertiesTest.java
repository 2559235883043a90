package dev.p2psuite.identity;

import static dev.p2psuite.identity.SeededProperties.bytes;
import static dev.p2psuite.identity.SeededProperties.forAll;
import static dev.p2psuite.identity.SeededProperties.id;
import static dev.p2psuite.identity.SeededProperties.near;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** SeededProperties of NodeId over 1,000 seeded samples each. */
class NodeIdPropertiesTest {

    private static BigInteger unsigned(NodeId id) {
        return new BigInteger(1, id.bytes());
    }

    @Test
    void idFromPublicKeyIsDeterministic() {
        forAll(1, r -> {
            byte[] publicKey = bytes(r, 32);
            assertThat(NodeId.fromPublicKey(publicKey)).isEqualTo(NodeId.fromPublicKey(publicKey.clone()));
        });
    }

    @Test
    void hexRoundTrips() {
        forAll(2, r -> {
            NodeId id = id(r);
            assertThat(id.toHex()).hasSize(40).isEqualTo(id.toHex().toLowerCase());
            assertThat(NodeId.fromHex(id.toHex())).isEqualTo(id);
            assertThat(NodeId.fromHex(id.toHex().toUpperCase())).isEqualTo(id);
        });
    }

    @Test
    void xorIsSymmetricSelfInverseAndSelfXorIsZero() {
        forAll(3, r -> {
            NodeId a = id(r);
            NodeId b = id(r);
            assertThat(a.xor(b)).isEqualTo(b.xor(a));
            assertThat(a.xor(a).bytes()).containsOnly(0);
            assertThat(a.xor(b).xor(b)).isEqualTo(a);
        });
    }

    @Test
    void commonPrefixLengthIsTheLeadingZeroBitsOfTheXorDistance() {
        forAll(4, r -> {
            NodeId a = id(r);
            NodeId b = r.nextBoolean() ? id(r) : near(a, r);
            int expected = 160 - unsigned(a.xor(b)).bitLength();
            assertThat(a.commonPrefixLength(b)).isEqualTo(expected).isEqualTo(b.commonPrefixLength(a));
        });
    }

    @Test
    void commonPrefixLengthOfIdsDifferingInOneBitIsThatBitsIndex() {
        forAll(5, r -> {
            NodeId a = id(r);
            int bit = r.nextInt(160);
            byte[] flipped = a.bytes();
            flipped[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
            assertThat(a.commonPrefixLength(NodeId.of(flipped))).isEqualTo(bit);
        });
    }

    @Test
    void orderIsTheOrderOfUnsigned160BitIntegers() {
        forAll(6, r -> {
            NodeId a = id(r);
            NodeId b = r.nextBoolean() ? id(r) : near(a, r);
            assertThat(Integer.signum(a.compareTo(b))).isEqualTo(unsigned(a).compareTo(unsigned(b)));
            assertThat(a.equals(b)).isEqualTo(a.compareTo(b) == 0);
        });
    }

    @Test
    void distanceComparatorAgreesWithXorReadAsAnInteger() {
        forAll(7, r -> {
            NodeId target = id(r);
            NodeId a = near(target, r);
            NodeId b = r.nextBoolean() ? id(r) : near(target, r);
            int expected = unsigned(a.xor(target)).compareTo(unsigned(b.xor(target)));
            assertThat(Integer.signum(NodeId.byDistanceTo(target).compare(a, b))).isEqualTo(expected);
        });
    }

    @Test
    void randomIdWithCommonPrefixSharesExactlyThatPrefix() {
        forAll(8, r -> {
            NodeId base = id(r);
            int prefix = r.nextInt(160);
            NodeId id = NodeId.randomWithCommonPrefix(base, prefix, new SplittableRandom(r.nextLong()));
            assertThat(base.commonPrefixLength(id)).isEqualTo(prefix);
        });
    }
}
