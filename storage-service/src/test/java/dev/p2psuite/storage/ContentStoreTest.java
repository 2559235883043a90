package dev.p2psuite.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.storage.core.ContentId;
import dev.p2psuite.storage.core.Manifest;
import dev.p2psuite.storage.core.PieceHasher;
import dev.p2psuite.storage.store.MemoryPieceStore;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The content logic over an in-memory store: no Infinispan, no gRPC. */
class ContentStoreTest {

    final MemoryPieceStore pieces = new MemoryPieceStore();
    final ContentStore store = new ContentStore(pieces, 4, InstantSource.fixed(Instant.ofEpochMilli(1_000)));

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    ContentStore.PutResult put(byte[] content, int chunk) {
        ContentStore.PutSession s = store.beginPut(new byte[0], content.length);
        for (int off = 0; off < content.length; off += chunk) {
            s.write(ByteBuffer.wrap(content, off, Math.min(chunk, content.length - off)).asReadOnlyBuffer());
        }
        return s.finish();
    }

    byte[] readAll(ContentId id) {
        var c = store.require(id);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < c.manifest().pieceCount(); i++) {
            out.writeBytes(store.piece(c, i));
        }
        return out.toByteArray();
    }

    @Test
    void contentsOfEveryShapeRoundTripWithTheIdOfTheirManifest() {
        for (int size : new int[] {0, 1, Manifest.PIECE_SIZE - 1, Manifest.PIECE_SIZE, Manifest.PIECE_SIZE + 1,
                3 * Manifest.PIECE_SIZE + 12_345}) {
            byte[] content = random(size, size);
            var result = put(content, 100_003);
            assertThat(result.content().contentId()).isEqualTo(PieceHasher.manifestOf(content).contentId());
            assertThat(result.content().manifest().sizeBytes()).isEqualTo(size);
            assertThat(readAll(result.content().contentId())).isEqualTo(content);
            assertThat(store.held(result.content()).isComplete()).isTrue();
        }
    }

    @Test
    void identicalContentPutTwiceStoresItsPiecesOnce() {
        byte[] content = random(3 * Manifest.PIECE_SIZE, 7);
        var first = put(content, 65_536);
        var second = put(content, 1_000_000);
        assertThat(first.piecesStored()).isEqualTo(3);
        assertThat(first.alreadyPresent()).isFalse();
        assertThat(second.piecesStored()).isZero();
        assertThat(second.piecesDeduplicated()).isEqualTo(3);
        assertThat(second.alreadyPresent()).isTrue();
        assertThat(pieces.pieceCount()).isEqualTo(3);
    }

    @Test
    void identicalPiecesWithinOneContentAreStoredOnce() {
        byte[] content = new byte[4 * Manifest.PIECE_SIZE]; // four identical all-zero pieces
        var result = put(content, 262_144);
        assertThat(result.piecesStored()).isEqualTo(1);
        assertThat(result.piecesDeduplicated()).isEqualTo(3);
        assertThat(pieces.pieceCount()).isEqualTo(1);
        assertThat(readAll(result.content().contentId())).isEqualTo(content);
    }

    @Test
    void anAbortedPutLeavesNoManifest() {
        ContentStore.PutSession s = store.beginPut(null, 0);
        s.write(ByteBuffer.wrap(random(2 * Manifest.PIECE_SIZE + 5, 3)));
        s.abort();
        assertThat(pieces.contentIds()).isEmpty();
        assertThat(pieces.pieceCount()).isEqualTo(2); // completed pieces may remain
    }

    @Test
    void contentDifferentFromTheAnnouncedSizeIsRejected() {
        ContentStore.PutSession s = store.beginPut(null, 10);
        assertThatThrownBy(() -> s.write(ByteBuffer.wrap(new byte[11])))
                .isInstanceOf(StorageException.class).hasMessageContaining("expected_size_bytes is 10");
        ContentStore.PutSession t = store.beginPut(null, 10);
        t.write(ByteBuffer.wrap(new byte[9]));
        assertThatThrownBy(t::finish).isInstanceOf(StorageException.class).hasMessageContaining("after 9 bytes");
        assertThat(pieces.contentIds()).isEmpty();
    }

    @Test
    void deleteFreesOnlyPiecesNoOtherContentUses() {
        byte[] a = random(2 * Manifest.PIECE_SIZE, 1);
        byte[] b = new byte[3 * Manifest.PIECE_SIZE];
        System.arraycopy(a, 0, b, 0, Manifest.PIECE_SIZE); // b's first piece is a's first piece
        System.arraycopy(random(2 * Manifest.PIECE_SIZE, 2), 0, b, Manifest.PIECE_SIZE, 2 * Manifest.PIECE_SIZE);
        var ra = put(a, 300_000);
        var rb = put(b, 300_000);
        assertThat(pieces.pieceCount()).isEqualTo(4);
        assertThat(store.delete(ra.content().contentId())).isEqualTo(Manifest.PIECE_SIZE);
        assertThat(pieces.pieceCount()).isEqualTo(3);
        assertThat(readAll(rb.content().contentId())).isEqualTo(b);
        assertThatThrownBy(() -> store.require(ra.content().contentId()))
                .isInstanceOf(StorageException.class).hasMessageContaining("is not on this node");
    }

    @Test
    void aPutIsRefusedWithResourceExhaustedWhenTheDiskWouldFallBelowTheReserve() {
        MemoryPieceStore backing = new MemoryPieceStore();
        long[] free = {10L * Manifest.PIECE_SIZE};
        dev.p2psuite.storage.store.PieceStore nearlyFull = new dev.p2psuite.storage.store.PieceStore() {
            public java.util.concurrent.CompletableFuture<Void> putPiece(byte[] h, byte[] d) {
                free[0] -= d.length;
                return backing.putPiece(h, d);
            }
            public byte[] getPiece(byte[] h) { return backing.getPiece(h); }
            public boolean hasPiece(byte[] h) { return backing.hasPiece(h); }
            public boolean removePiece(byte[] h) { return backing.removePiece(h); }
            public void putContent(dev.p2psuite.storage.store.StoredContent c) { backing.putContent(c); }
            public java.util.Optional<dev.p2psuite.storage.store.StoredContent> getContent(ContentId id) { return backing.getContent(id); }
            public boolean removeContent(ContentId id) { return backing.removeContent(id); }
            public List<ContentId> contentIds() { return backing.contentIds(); }
            public long usableBytes() { return free[0]; }
            public String describe() { return "nearly full"; }
            public void close() { }
        };
        ContentStore small = new ContentStore(nearlyFull, 4, 5L * Manifest.PIECE_SIZE, InstantSource.system());
        ContentStore.PutSession s = small.beginPut(null, 0);
        assertThatThrownBy(() -> s.write(ByteBuffer.wrap(random(8 * Manifest.PIECE_SIZE, 40))))
                .isInstanceOfSatisfying(StorageException.class, e -> {
                    assertThat(e.kind()).isEqualTo(StorageException.Kind.RESOURCE_EXHAUSTED);
                    assertThat(e.getMessage()).contains("the store is full");
                });
        s.abort();
        assertThat(backing.contentIds()).isEmpty();
        assertThat(backing.pieceCount()).isEqualTo(5);
    }

    @Test
    void listingPagesThroughEveryContentInIdOrder() {
        List<ContentId> ids = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ids.add(put(random(10 + i, i), 100).content().contentId());
        }
        ids.sort(null);
        List<ContentId> seen = new ArrayList<>();
        String token = "";
        do {
            var page = store.list(3, token);
            page.items().forEach(c -> seen.add(c.contentId()));
            token = page.nextToken();
        } while (!token.isEmpty());
        assertThat(seen).containsExactlyElementsOf(ids);
        assertThatThrownBy(() -> store.list(3, "nonsense")).isInstanceOf(StorageException.class);
    }

    @Test
    void aFetchedPieceIsReadFromMemoryOnceDurableAndNotAfterItsContentIsDeleted() throws Exception {
        byte[] content = random(3 * Manifest.PIECE_SIZE, 21);
        Manifest m = PieceHasher.manifestOf(content);
        var stored = store.storeFetchedManifest(m, new byte[0]);
        for (int i = 0; i < m.pieceCount(); i++) {
            byte[] piece = java.util.Arrays.copyOfRange(content, i * Manifest.PIECE_SIZE, (i + 1) * Manifest.PIECE_SIZE);
            store.storeVerifiedPiece(stored, i, piece).get();
        }
        long before = store.piecesReadFromMemory();
        assertThat(readAll(m.contentId())).isEqualTo(content);
        assertThat(store.piecesReadFromMemory() - before).isEqualTo(m.pieceCount()); // no read-back from the store
        store.delete(m.contentId());
        assertThat(store.piece(stored, 0)).isNull(); // deleted pieces are not served from memory either
    }

    @Test
    void aWholePieceChunkGivenUpByTheCallerIsStoredWithoutACopy() {
        byte[] chunk = random(Manifest.PIECE_SIZE, 22);
        ContentStore.PutSession s = store.beginPut(new byte[0], 0);
        s.writeOwned(chunk);
        var result = s.finish();
        assertThat(store.piece(result.content(), 0)).isSameAs(chunk).isEqualTo(random(Manifest.PIECE_SIZE, 22));
    }

    /** A store whose writes complete when the test says, and whose index may list what it cannot load. */
    static final class SlowStore implements dev.p2psuite.storage.store.PieceStore {
        final MemoryPieceStore backing = new MemoryPieceStore();
        final List<java.util.concurrent.CompletableFuture<Void>> writes = new ArrayList<>();
        final java.util.Set<String> listedOnly = new java.util.HashSet<>(); // torn: in the index, not loadable
        int exactChecks;

        public java.util.concurrent.CompletableFuture<Void> putPiece(byte[] h, byte[] d) {
            var done = new java.util.concurrent.CompletableFuture<Void>();
            writes.add(done);
            return done.thenCompose(v -> backing.putPiece(h, d));
        }
        public byte[] getPiece(byte[] h) { return backing.getPiece(h); }
        public boolean hasPiece(byte[] h) {
            exactChecks++;
            return backing.hasPiece(h);
        }
        public boolean indexHasPiece(byte[] h) {
            return backing.hasPiece(h) || listedOnly.contains(java.util.HexFormat.of().formatHex(h));
        }
        public boolean removePiece(byte[] h) { return backing.removePiece(h); }
        public void putContent(dev.p2psuite.storage.store.StoredContent c) { backing.putContent(c); }
        public java.util.Optional<dev.p2psuite.storage.store.StoredContent> getContent(ContentId id) { return backing.getContent(id); }
        public boolean removeContent(ContentId id) { return backing.removeContent(id); }
        public List<ContentId> contentIds() { return backing.contentIds(); }
        public long usableBytes() { return Long.MAX_VALUE; }
        public String describe() { return "slow"; }
        public void close() { }
    }

    @Test
    void aVerifiedPieceIsServedFromMemoryWhileItsWriteRunsAndNotIfTheWriteFails() {
        SlowStore slow = new SlowStore();
        ContentStore contents = new ContentStore(slow, 4, InstantSource.system());
        byte[] content = random(2 * Manifest.PIECE_SIZE, 23);
        Manifest m = PieceHasher.manifestOf(content);
        var stored = contents.storeFetchedManifest(m, new byte[0]);
        byte[] first = java.util.Arrays.copyOfRange(content, 0, Manifest.PIECE_SIZE);
        byte[] second = java.util.Arrays.copyOfRange(content, Manifest.PIECE_SIZE, content.length);
        var firstStored = contents.storeVerifiedPiece(stored, 0, first);
        var secondStored = contents.storeVerifiedPiece(stored, 1, second);

        // Not durable yet, so not held; but the in-order reader gets the bytes without a read from the store.
        assertThat(firstStored).isNotDone();
        assertThat(contents.held(stored).cardinality()).isZero();
        assertThat(contents.piece(stored, 0)).isSameAs(first);

        slow.writes.get(0).complete(null);
        slow.writes.get(1).completeExceptionally(new IllegalStateException("disk gone"));
        assertThat(firstStored).isCompleted();
        assertThat(secondStored).isCompletedExceptionally();
        assertThat(contents.piece(stored, 0)).isSameAs(first);
        assertThat(contents.piece(stored, 1)).isNull(); // never stored: not served as if it were
    }

    @Test
    void heldExactlyAsksTheIndexFirstAndLoadsOnlyWhatItLists() {
        SlowStore slow = new SlowStore();
        ContentStore contents = new ContentStore(slow, 4, InstantSource.system());
        byte[] content = random(5 * Manifest.PIECE_SIZE, 24);
        Manifest m = PieceHasher.manifestOf(content);
        var stored = contents.storeFetchedManifest(m, new byte[0]);
        contents.storeVerifiedPiece(stored, 1, java.util.Arrays.copyOfRange(content, Manifest.PIECE_SIZE,
                2 * Manifest.PIECE_SIZE));
        slow.writes.forEach(w -> w.complete(null));
        slow.listedOnly.add(java.util.HexFormat.of().formatHex(m.pieceHash(3))); // a torn tail the index still lists
        slow.exactChecks = 0;

        assertThat(contents.heldExactly(stored).toIndexes()).containsExactly(1);
        assertThat(slow.exactChecks).isEqualTo(2); // pieces 1 and 3, the two the index lists; not the other three
        assertThat(contents.held(stored).toIndexes()).containsExactly(1); // the exact answer is cached
    }
}
