package dev.p2psuite.storage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PieceHasherTest {

    private static final int P = Manifest.PIECE_SIZE;

    /** Records what the sink saw (copying, as a storing sink must). */
    private static final class Recorder implements PieceHasher.PieceSink {
        final List<Integer> indexes = new ArrayList<>();
        final List<byte[]> hashes = new ArrayList<>();
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public void onPiece(int index, ByteBuffer data, byte[] sha256) {
            assertThat(data.isReadOnly()).isTrue();
            indexes.add(index);
            hashes.add(sha256);
            byte[] copy = new byte[data.remaining()];
            data.get(copy);
            bytes.writeBytes(copy);
        }
    }

    private static Manifest reference(byte[] content) throws Exception {
        List<byte[]> hashes = new ArrayList<>();
        for (int off = 0; off < content.length; off += P) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(content, off, Math.min(P, content.length - off));
            hashes.add(md.digest());
        }
        return Manifest.of(content.length, P, hashes);
    }

    @Test
    void emptyContentGivesNoPiecesAndTheEmptyManifest() throws Exception {
        Recorder r = new Recorder();
        Manifest m = new PieceHasher(r).update(new byte[0]).update(ByteBuffer.allocate(0)).finish();
        assertThat(r.indexes).isEmpty();
        assertThat(m.pieceCount()).isZero();
        assertThat(m.sizeBytes()).isZero();
        assertThat(m.contentId()).hasToString("bciqpwor4xjbytm2rhqvf4zkip76tftwc5sqcuw4y4uixsqjxoc6iljq");
    }

    @Test
    void oneByteContentIsOneOneBytePiece() throws Exception {
        Recorder r = new Recorder();
        Manifest m = new PieceHasher(r).update(new byte[] {42}).finish();
        assertThat(r.indexes).containsExactly(0);
        assertThat(r.bytes.toByteArray()).containsExactly(42);
        assertThat(m.pieceCount()).isEqualTo(1);
        assertThat(m.pieceLength(0)).isEqualTo(1);
        assertThat(m).isEqualTo(reference(new byte[] {42}));
    }

    @Test
    void exactMultipleEmitsEveryPieceDuringUpdateAndNothingAtFinish() {
        Recorder r = new Recorder();
        PieceHasher h = new PieceHasher(r).update(new byte[2 * P]);
        assertThat(r.indexes).containsExactly(0, 1);
        Manifest m = h.finish();
        assertThat(r.indexes).containsExactly(0, 1);
        assertThat(m.pieceCount()).isEqualTo(2);
    }

    @Test
    void piecesReachTheSinkAsSoonAsTheyAreComplete() {
        Recorder r = new Recorder();
        PieceHasher h = new PieceHasher(r);
        h.update(new byte[P - 1]);
        assertThat(r.indexes).isEmpty();
        h.update(new byte[2]);
        assertThat(r.indexes).containsExactly(0);
        assertThat(h.piecesSoFar()).isEqualTo(1);
        assertThat(h.bytesSoFar()).isEqualTo(P + 1L);
        h.finish();
        assertThat(r.indexes).containsExactly(0, 1);
    }

    @Test
    void unalignedChunksOfEveryKindGiveTheSameManifestAndPieces() {
        Seeded.forEachSeed(40, 100, random -> {
            int size = switch (random.nextInt(4)) {
                case 0 -> random.nextInt(3);
                case 1 -> P * random.nextInt(1, 4);
                default -> random.nextInt(4 * P);
            };
            byte[] content = new byte[size];
            random.nextBytes(content);
            Recorder r = new Recorder();
            PieceHasher h = new PieceHasher(r);
            int off = 0;
            while (off < size) {
                int n = Math.min(size - off, chunkSize(random));
                feed(h, content, off, n, random);
                off += n;
            }
            Manifest m = h.finish();
            assertThat(m).isEqualTo(reference(content));
            assertThat(r.bytes.toByteArray()).isEqualTo(content);
            assertThat(r.indexes).hasSize(m.pieceCount());
            for (int i = 0; i < m.pieceCount(); i++) {
                assertThat(r.indexes.get(i)).isEqualTo(i);
                assertThat(r.hashes.get(i)).isEqualTo(m.pieceHash(i));
            }
        });
    }

    private static int chunkSize(SplittableRandom random) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextInt(1, 100);
            case 1 -> P;
            case 2 -> random.nextInt(1, 2 * P + 3);
            default -> random.nextInt(1, 1_048_000);
        };
    }

    private static void feed(PieceHasher h, byte[] content, int off, int n, SplittableRandom random) {
        switch (random.nextInt(4)) {
            case 0 -> h.update(content, off, n);
            case 1 -> {
                ByteBuffer b = ByteBuffer.wrap(content, off, n);
                h.update(b);
                assertThat(b.hasRemaining()).isFalse();
            }
            case 2 -> {
                ByteBuffer b = ByteBuffer.allocateDirect(n).put(content, off, n).flip();
                h.update(b);
                assertThat(b.hasRemaining()).isFalse();
            }
            default -> h.update(ByteBuffer.wrap(Arrays.copyOfRange(content, off, off + n)).asReadOnlyBuffer());
        }
    }

    @Test
    void wholePieceChunkAtABoundaryIsHandedOverWithoutCopying() {
        byte[] chunk = new byte[P];
        boolean[] sawChange = new boolean[1];
        new PieceHasher((index, data, sha256) -> {
            chunk[0] = 99; // the sink sees the caller's own bytes: proof that no copy was made
            sawChange[0] = data.get(data.position()) == 99;
        }).update(chunk);
        assertThat(sawChange[0]).isTrue();
    }

    @Test
    void identicalPiecesHaveIdenticalHashes() {
        byte[] piece = new byte[P];
        new SplittableRandom(3).nextBytes(piece);
        byte[] content = new byte[3 * P];
        System.arraycopy(piece, 0, content, 0, P);
        System.arraycopy(piece, 0, content, 2 * P, P);
        Manifest m = PieceHasher.manifestOf(content);
        assertThat(m.pieceHash(0)).isEqualTo(m.pieceHash(2)).isNotEqualTo(m.pieceHash(1));
    }

    @Test
    void updateAfterFinishIsRefused() {
        PieceHasher h = PieceHasher.withoutSink();
        h.finish();
        assertThatThrownBy(() -> h.update(new byte[1])).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(h::finish).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void failingSinkLeavesNoManifest() {
        PieceHasher h = new PieceHasher((index, data, sha256) -> {
            throw new IllegalStateException("store full");
        });
        assertThatThrownBy(() -> h.update(new byte[P])).hasMessage("store full");
        assertThatThrownBy(h::finish).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("sink failed");
    }
}
