package dev.p2psuite.storage.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.storage.core.ContentId;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A piece the store acknowledged survives {@code kill -9} of the writing process: a second JVM writes to the real
 * Infinispan store and prints an ACK per durable write; the test kills it with SIGKILL mid-write (several writes in
 * flight), reopens the same directory and checks every acknowledged piece and manifest, and that no stored piece
 * is corrupt (each value hashes to its key).
 */
class StoreDurabilityTest {

    static final int ACKS_BEFORE_KILL = 60;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedPieceSurvivesKillDashNineAndNoStoredPieceIsCorrupt() throws Exception {
        long seed = System.nanoTime();
        Map<Integer, String> acked = new LinkedHashMap<>();
        List<String> manifests = new ArrayList<>();
        Process writer = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                DurabilityWriter.class.getName(), dir.toString(), Long.toString(seed), "8")
                .redirectError(Path.of("target", "durability-writer.err").toAbsolutePath().toFile())
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    String[] f = line.split(" ");
                    acked.put(Integer.parseInt(f[1]), f[2]);
                } else if (line.startsWith("MANIFEST ")) {
                    manifests.add(line.substring(9));
                }
                if (acked.size() >= ACKS_BEFORE_KILL) {
                    // SIGKILL while writes are in flight: no shutdown hook, no flush, no clean close of the stores.
                    writer.destroyForcibly();
                    break;
                }
            }
        } finally {
            writer.destroyForcibly();
            assertThat(writer.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(acked).as("acknowledged writes before the kill (see target/durability-writer.err)")
                .hasSizeGreaterThanOrEqualTo(ACKS_BEFORE_KILL);
        assertThat(writer.exitValue()).isEqualTo(137); // 128 + SIGKILL

        try (InfinispanPieceStore store = InfinispanPieceStore.open(InfinispanPieceStore.Options.embedded(dir))) {
            assertThat(store.syncWrites()).as("write-through soft-index stores with sync-writes").isTrue();
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Map.Entry<Integer, String> e : acked.entrySet()) {
                byte[] key = HexFormat.of().parseHex(e.getValue());
                byte[] piece = store.getPiece(key);
                assertThat(piece).as("acknowledged piece %d", e.getKey()).isNotNull();
                assertThat(piece).isEqualTo(DurabilityWriter.piece(seed, e.getKey()));
            }
            for (String id : manifests) {
                assertThat(store.getContent(ContentId.parse(id))).as("acknowledged manifest %s", id).isPresent();
            }
            List<String> keys = store.pieceKeys();
            assertThat(keys.size()).isGreaterThanOrEqualTo(acked.size());
            for (String key : keys) {
                byte[] piece = store.getPiece(HexFormat.of().parseHex(key));
                if (piece == null) {
                    // the write the kill cut short (never acknowledged): dropped on read, never served
                    assertThat(acked.values()).doesNotContain(key);
                    assertThat(store.hasPiece(HexFormat.of().parseHex(key))).isFalse();
                    continue;
                }
                assertThat(HexFormat.of().formatHex(sha.digest(piece))).as("stored piece under %s", key).isEqualTo(key);
            }
        }
    }

    @Test
    void aClosedStoreReopensWithItsPiecesAndManifests() throws Exception {
        byte[] piece = DurabilityWriter.piece(1, 3);
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(piece);
        var manifest = dev.p2psuite.storage.core.PieceHasher.manifestOf(piece);
        try (InfinispanPieceStore store = InfinispanPieceStore.open(InfinispanPieceStore.Options.embedded(dir))) {
            store.putPiece(hash, piece).join();
            store.putContent(new StoredContent(manifest, new byte[] {7}, 42));
        }
        assertThat(Files.isDirectory(dir)).isTrue();
        try (InfinispanPieceStore store = InfinispanPieceStore.open(InfinispanPieceStore.Options.embedded(dir))) {
            assertThat(store.hasPiece(hash)).isTrue();
            assertThat(store.getPiece(hash)).isEqualTo(piece);
            StoredContent c = store.getContent(manifest.contentId()).orElseThrow();
            assertThat(c.manifest()).isEqualTo(manifest);
            assertThat(c.metadata()).containsExactly(7);
            assertThat(c.addedUnixMs()).isEqualTo(42);
            assertThat(store.contentIds()).containsExactly(manifest.contentId());
            assertThat(store.removeContent(manifest.contentId())).isTrue();
            assertThat(store.indexHasPiece(hash)).isTrue();
            assertThat(store.removePiece(hash)).isTrue();
            assertThat(store.hasPiece(hash)).isFalse();
            assertThat(store.indexHasPiece(hash)).as("a fresh tombstone is not a piece").isFalse();
        }
    }

    @Test
    void aPieceWhoseRecordRunsPastTheEndOfItsFileIsDroppedAndCanBeStoredAgain() throws Exception {
        byte[][] pieces = {DurabilityWriter.piece(2, 0), DurabilityWriter.piece(2, 1)};
        byte[][] hashes = new byte[2][];
        try (InfinispanPieceStore store = InfinispanPieceStore.open(InfinispanPieceStore.Options.embedded(dir))) {
            for (int i = 0; i < 2; i++) {
                hashes[i] = MessageDigest.getInstance("SHA-256").digest(pieces[i]);
                store.putPiece(hashes[i], pieces[i]).join();
            }
        }
        // What a kill -9 in the middle of the last write leaves (seen in CI): the index knows the record, the data
        // file ends inside it.
        Path log;
        try (var files = Files.walk(dir)) {
            log = files.filter(f -> f.toString().contains("pieces") && Files.isRegularFile(f))
                    .max(java.util.Comparator.comparingLong(f -> f.toFile().length())).orElseThrow();
        }
        try (var ch = java.nio.channels.FileChannel.open(log, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 100_000);
        }

        try (InfinispanPieceStore store = InfinispanPieceStore.open(InfinispanPieceStore.Options.embedded(dir))) {
            assertThat(store.getPiece(hashes[0])).isEqualTo(pieces[0]);
            assertThat(store.indexHasPiece(hashes[0])).isTrue();
            assertThat(store.indexHasPiece(hashes[1])).as("the index still lists the torn piece").isTrue();
            assertThat(store.hasPiece(hashes[1])).as("torn: not held").isFalse();
            assertThat(store.indexHasPiece(hashes[1])).as("dropped").isFalse();
            assertThat(store.getPiece(hashes[1])).isNull();
            store.putPiece(hashes[1], pieces[1]).join();
            assertThat(store.hasPiece(hashes[1])).isTrue();
            assertThat(store.getPiece(hashes[1])).isEqualTo(pieces[1]);
        }
    }
}
