package dev.p2psuite.storage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class ManifestTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final int P = Manifest.PIECE_SIZE;

    static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    // Vectors computed once, independently, with Python (struct.pack(">QII") + hashlib + base64.b32encode).

    @Test
    void canonicalBytesOfAThreeByteContentMatchThePinnedVector() throws Exception {
        Manifest m = Manifest.of(3, P, List.of(sha256("abc".getBytes(StandardCharsets.US_ASCII))));
        assertThat(HEX.formatHex(m.canonicalBytes())).isEqualTo(
                "7032702d6d616e69666573742d7631" + "0000000000000003" + "00040000" + "00000001"
                        + "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(HEX.formatHex(m.contentId().bytes()))
                .isEqualTo("122022614c436e416a3f5c2a47fa88954fb257c4e674c6f4f62f390ab84ae317b8fe");
        assertThat(m.contentId()).hasToString("bciqceykminxec2r7lqvep6uisvh3ev6e4z2mn5hwf44qvock4ml3r7q");
        assertThat(m.contentId().dhtKey().toHex()).isEqualTo("86a8ef160a75d4d1db46027408031f15ae385986");
    }

    @Test
    void canonicalBytesOfTheEmptyContentMatchThePinnedVector() {
        Manifest m = Manifest.of(0, P, List.of());
        assertThat(HEX.formatHex(m.canonicalBytes()))
                .isEqualTo("7032702d6d616e69666573742d7631" + "0000000000000000" + "00040000" + "00000000");
        assertThat(m.contentId()).hasToString("bciqpwor4xjbytm2rhqvf4zkip76tftwc5sqcuw4y4uixsqjxoc6iljq");
        assertThat(m.pieceCount()).isZero();
    }

    @Test
    void twoPieceContentHasTheLastPieceShorterAndThePinnedId() throws Exception {
        byte[] content = new byte[P + 1];
        content[P] = 'x';
        Manifest m = PieceHasher.manifestOf(content);
        assertThat(m.pieceCount()).isEqualTo(2);
        assertThat(m.pieceLength(0)).isEqualTo(P);
        assertThat(m.pieceLength(1)).isEqualTo(1);
        assertThat(m.pieceOffset(1)).isEqualTo(P);
        assertThat(m.pieceHash(1)).isEqualTo(sha256(new byte[] {'x'}));
        assertThat(m.contentId()).hasToString("bciqf37bubb2f7e66eibjkazlszupjc7u55niaedi7p7q23nwpiukpki");
    }

    @Test
    void contentIdIsTheSha256MultihashOfTheCanonicalBytes() throws Exception {
        Manifest m = PieceHasher.manifestOf(new byte[3 * P - 7]);
        byte[] expected = new byte[34];
        expected[0] = 0x12;
        expected[1] = 0x20;
        System.arraycopy(sha256(m.canonicalBytes()), 0, expected, 2, 32);
        assertThat(m.contentId().bytes()).isEqualTo(expected);
    }

    @Test
    void pieceCountIsTheCeilingOfSizeOverPieceSize() {
        assertThat(Manifest.pieceCountFor(0)).isZero();
        assertThat(Manifest.pieceCountFor(1)).isEqualTo(1);
        assertThat(Manifest.pieceCountFor(P)).isEqualTo(1);
        assertThat(Manifest.pieceCountFor(P + 1L)).isEqualTo(2);
        assertThat(Manifest.pieceCountFor(Manifest.MAX_SIZE_BYTES)).isEqualTo(Manifest.MAX_PIECES);
        assertThatThrownBy(() -> Manifest.pieceCountFor(Manifest.MAX_SIZE_BYTES + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void exactMultipleOfThePieceSizeHasOnlyFullPieces() {
        Manifest m = PieceHasher.manifestOf(new byte[2 * P]);
        assertThat(m.pieceCount()).isEqualTo(2);
        assertThat(m.pieceLength(1)).isEqualTo(P);
        assertThat(m.pieceHash(0)).isEqualTo(m.pieceHash(1));
        assertThatThrownBy(() -> m.pieceLength(2)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void correctPieceVerifiesFromArraysSlicesAndBuffers() {
        byte[] content = new byte[P + 100];
        new java.util.SplittableRandom(7).nextBytes(content);
        Manifest m = PieceHasher.manifestOf(content);
        assertThat(m.verifyPiece(0, java.util.Arrays.copyOf(content, P))).isTrue();
        assertThat(m.verifyPiece(1, content, P, 100)).isTrue();
        ByteBuffer direct = ByteBuffer.allocateDirect(100).put(content, P, 100).flip();
        assertThat(m.verifyPiece(1, direct)).isTrue();
        assertThat(direct.position()).isZero();
        ByteBuffer window = ByteBuffer.wrap(content, 0, P);
        assertThat(m.verifyPiece(0, window)).isTrue();
        assertThat(window.remaining()).isEqualTo(P);
    }

    @Test
    void pieceWithOneFlippedBitFailsVerification() {
        byte[] content = new byte[P + 100];
        Manifest m = PieceHasher.manifestOf(content);
        content[P + 50] ^= 0x04;
        assertThat(m.verifyPiece(1, content, P, 100)).isFalse();
        assertThat(m.verifyPiece(1, ByteBuffer.wrap(content, P, 100))).isFalse();
    }

    @Test
    void pieceOfTheWrongLengthFailsVerificationEvenIfItIsAPrefix() {
        byte[] content = new byte[P + 100];
        Manifest m = PieceHasher.manifestOf(content);
        assertThat(m.verifyPiece(1, new byte[99])).isFalse();
        assertThat(m.verifyPiece(1, new byte[101])).isFalse();
        assertThat(m.verifyPiece(0, new byte[P + 1])).isFalse();
        assertThat(m.verifyPiece(0, new byte[0])).isFalse();
    }

    @Test
    void pieceOfAnotherIndexFailsVerification() throws Exception {
        byte[] content = new byte[2 * P];
        content[0] = 1;
        Manifest m = PieceHasher.manifestOf(content);
        assertThat(m.verifyPiece(1, content, 0, P)).isFalse();
        assertThatThrownBy(() -> m.verifyPiece(2, new byte[P])).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void manifestMatchingItsIdPassesAndAForgedOneIsRejected() throws Exception {
        Manifest genuine = PieceHasher.manifestOf(new byte[P + 10]);
        ContentId id = genuine.contentId();
        Manifest copy = Manifest.of(genuine.sizeBytes(), P, genuine.pieceHashes());
        assertThat(copy.verifyAgainst(id)).isSameAs(copy);

        List<byte[]> hashes = new ArrayList<>(genuine.pieceHashes());
        hashes.set(1, sha256(new byte[] {1}));
        Manifest forged = Manifest.of(genuine.sizeBytes(), P, hashes);
        assertThatThrownBy(() -> forged.verifyAgainst(id))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining("does not match content ID " + id);
        Manifest otherSize = Manifest.of(genuine.sizeBytes() - 1, P, genuine.pieceHashes());
        assertThatThrownBy(() -> otherSize.verifyAgainst(id)).isInstanceOf(InvalidManifestException.class);
    }

    @Test
    void pieceSizeOtherThan256KiBIsRejected() {
        assertThatThrownBy(() -> Manifest.of(10, 16_384, List.of(new byte[32])))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessage("piece size must be 262144 bytes in v1, got 16384");
        assertThatThrownBy(() -> Manifest.of(10, -1, List.of(new byte[32])))
                .hasMessageContaining("got 4294967295");
    }

    @Test
    void hashCountMustMatchTheSize() {
        assertThatThrownBy(() -> Manifest.of(P + 1L, P, List.of(new byte[32])))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessage("a content of 262145 bytes has 2 pieces, but the manifest lists 1 piece hashes");
        assertThatThrownBy(() -> Manifest.of(0, P, List.of(new byte[32])))
                .hasMessageContaining("has 0 pieces");
    }

    @Test
    void hashesMustBe32Bytes() {
        assertThatThrownBy(() -> Manifest.of(1, P, List.of(new byte[31])))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessage("piece hash 0 must be 32 bytes, got 31");
        assertThatThrownBy(() -> Manifest.ofConcatenatedHashes(1, P, new byte[33]))
                .hasMessageContaining("multiple of 32");
    }

    @Test
    void sizesBeyondThirtyThousandPiecesOrNegativeAreRejected() {
        List<byte[]> hashes = Collections.nCopies(Manifest.MAX_PIECES + 1, new byte[32]);
        assertThatThrownBy(() -> Manifest.of(Manifest.MAX_SIZE_BYTES + 1, P, hashes))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining("over the v1 limit of 7864320000 bytes (30000 pieces)");
        assertThatThrownBy(() -> Manifest.of(-1, P, List.of()))
                .hasMessageContaining("18446744073709551615");
        Manifest largest = Manifest.of(Manifest.MAX_SIZE_BYTES, P,
                Collections.nCopies(Manifest.MAX_PIECES, new byte[32]));
        assertThat(largest.canonicalBytes()).hasSize(31 + 30_000 * 32);
    }

    @Test
    void canonicalBytesRoundTripAndMalformedEncodingsAreRejected() {
        Manifest m = PieceHasher.manifestOf(new byte[3 * P + 1]);
        Manifest back = Manifest.fromCanonicalBytes(m.canonicalBytes());
        assertThat(back).isEqualTo(m).hasSameHashCodeAs(m);
        assertThat(back.contentId()).isEqualTo(m.contentId());
        assertThat(Manifest.ofConcatenatedHashes(m.sizeBytes(), P,
                java.util.Arrays.copyOfRange(m.canonicalBytes(), 31, 31 + 4 * 32))).isEqualTo(m);

        byte[] truncated = java.util.Arrays.copyOf(m.canonicalBytes(), m.canonicalBytes().length - 1);
        assertThatThrownBy(() -> Manifest.fromCanonicalBytes(truncated))
                .isInstanceOf(InvalidManifestException.class).hasMessageContaining("declares 4 pieces");
        byte[] badTag = m.canonicalBytes();
        badTag[0] = 'P';
        assertThatThrownBy(() -> Manifest.fromCanonicalBytes(badTag)).hasMessageContaining("p2p-manifest-v1");
    }

    @Test
    void rangesMapToTheCoveringPiecesAndAStartPastTheEndIsOutOfRange() {
        Manifest m = PieceHasher.manifestOf(new byte[3 * P + 5]);
        assertThat(m.piecesCovering(0, 0).toIndexes()).containsExactly(0, 1, 2, 3);
        assertThat(m.piecesCovering(P - 1, 2).toIndexes()).containsExactly(0, 1);
        assertThat(m.piecesCovering(P, P).toIndexes()).containsExactly(1);
        assertThat(m.piecesCovering(3L * P + 4, 1_000_000).toIndexes()).containsExactly(3);
        assertThatThrownBy(() -> m.piecesCovering(3L * P + 5, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(PieceHasher.manifestOf(new byte[0]).piecesCovering(0, 0).pieceCount()).isZero();
        assertThat(m.pieceIndexAt(P)).isEqualTo(1);
    }

    @Test
    void bytesInCountsTheShortLastPiece() {
        Manifest m = PieceHasher.manifestOf(new byte[2 * P + 5]);
        Bitfield b = new Bitfield(3);
        assertThat(m.bytesIn(b)).isZero();
        b.set(2);
        assertThat(m.bytesIn(b)).isEqualTo(5);
        b.set(0);
        assertThat(m.bytesIn(b)).isEqualTo(P + 5L);
        assertThat(m.bytesIn(Bitfield.full(3))).isEqualTo(m.sizeBytes());
    }

    @Test
    void hashViewsAreReadOnlyAndDoNotLeakState() {
        Manifest m = PieceHasher.manifestOf(new byte[10]);
        assertThat(m.pieceHashView(0).isReadOnly()).isTrue();
        byte[] h = m.pieceHash(0);
        h[0] ^= 1;
        assertThat(m.pieceHash(0)).isNotEqualTo(h);
        assertThat(m.canonicalView().isReadOnly()).isTrue();
    }
}
