package dev.p2psuite.storage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class BitfieldTest {

    @Test
    void pieceZeroIsTheHighBitOfTheFirstByte() {
        Bitfield b = new Bitfield(10);
        b.set(0);
        b.set(9);
        assertThat(b.toBytes()).containsExactly(0x80, 0x40);
        Bitfield back = Bitfield.fromBytes(10, new byte[] {(byte) 0x80, 0x40});
        assertThat(back).isEqualTo(b);
        assertThat(back.toIndexes()).containsExactly(0, 9);
    }

    @Test
    void wireLengthIsTheCeilingOfPiecesOverEight() {
        assertThat(Bitfield.byteLength(0)).isZero();
        assertThat(Bitfield.byteLength(1)).isEqualTo(1);
        assertThat(Bitfield.byteLength(8)).isEqualTo(1);
        assertThat(Bitfield.byteLength(9)).isEqualTo(2);
        assertThat(new Bitfield(0).toBytes()).isEmpty();
        assertThat(Bitfield.fromBytes(0, new byte[0]).isComplete()).isTrue();
    }

    @Test
    void wrongLengthIsRejected() {
        assertThatThrownBy(() -> Bitfield.fromBytes(9, new byte[1]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bitfield for 9 pieces must be 2 bytes (BEP 3: ceil(pieces / 8)), got 1");
        assertThatThrownBy(() -> Bitfield.fromBytes(8, new byte[2])).hasMessageContaining("must be 1 bytes");
    }

    @Test
    void setSpareBitsAreRejected() {
        assertThatThrownBy(() -> Bitfield.fromBytes(9, new byte[] {0, 0x20}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bitfield has spare bits set after piece 8 (BEP 3: spare bits must be 0)");
        assertThatThrownBy(() -> Bitfield.fromBytes(1, new byte[] {0x01})).hasMessageContaining("spare bits");
        assertThat(Bitfield.fromBytes(9, new byte[] {0, (byte) 0x80}).get(8)).isTrue();
    }

    @Test
    void randomBitfieldsRoundTripAndMatchAReferenceBitSet() {
        Seeded.forEachSeed(300, 1, random -> {
            int n = random.nextInt(0, 300);
            Bitfield b = new Bitfield(n);
            BitSet ref = new BitSet();
            for (int k = 0; k < n; k++) {
                int i = random.nextInt(n);
                if (random.nextBoolean()) {
                    assertThat(b.set(i)).isEqualTo(!ref.get(i));
                    ref.set(i);
                } else {
                    assertThat(b.clear(i)).isEqualTo(ref.get(i));
                    ref.clear(i);
                }
            }
            assertThat(b.cardinality()).isEqualTo(ref.cardinality());
            byte[] wire = b.toBytes();
            assertThat(wire).hasSize(Bitfield.byteLength(n));
            for (int i = 0; i < n; i++) {
                assertThat(((wire[i / 8] >> (7 - i % 8)) & 1) == 1).isEqualTo(ref.get(i));
            }
            assertThat(Bitfield.fromBytes(n, wire)).isEqualTo(b);
            int from = n == 0 ? 0 : random.nextInt(n);
            assertThat(b.nextSetBit(from)).isEqualTo(n == 0 || ref.nextSetBit(from) >= n ? -1 : ref.nextSetBit(from));
            int clear = ref.nextClearBit(from);
            assertThat(b.nextClearBit(from)).isEqualTo(clear >= n ? -1 : clear);
        });
    }

    @Test
    void fullBitfieldHasEveryPieceAndNoSpareBits() {
        Bitfield b = Bitfield.full(13);
        assertThat(b.isComplete()).isTrue();
        assertThat(b.cardinality()).isEqualTo(13);
        assertThat(b.toBytes()).containsExactly(0xff, 0xf8);
        assertThat(b.nextClearBit(0)).isEqualTo(-1);
        assertThat(Bitfield.full(64).nextClearBit(0)).isEqualTo(-1);
        assertThat(Bitfield.full(128).toBytes()).hasSize(16);
    }

    @Test
    void copiesAreIndependent() {
        Bitfield b = new Bitfield(5);
        Bitfield c = b.copy();
        c.set(1);
        assertThat(b.get(1)).isFalse();
        assertThat(c.cardinality()).isEqualTo(1);
        assertThatThrownBy(() -> b.get(5)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
