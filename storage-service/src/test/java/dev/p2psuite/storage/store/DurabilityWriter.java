package dev.p2psuite.storage.store;

import dev.p2psuite.storage.core.Manifest;
import dev.p2psuite.storage.core.PieceHasher;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * Run as its own JVM by {@link StoreDurabilityTest}: opens the real Infinispan store on a directory and writes
 * pseudo-random pieces (and, every tenth piece, a one-piece manifest) forever, several writes in flight as a put
 * does, printing {@code ACK <index> <sha256>} (or {@code MANIFEST <content id>}) once each write is acknowledged,
 * until the test kills it with SIGKILL.
 */
public final class DurabilityWriter {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        int inFlight = Integer.parseInt(args[2]);
        InfinispanPieceStore store = InfinispanPieceStore.open(InfinispanPieceStore.Options.embedded(dir));
        System.out.println("READY");
        System.out.flush();
        ArrayDeque<CompletableFuture<Void>> pending = new ArrayDeque<>();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (int i = 0; ; i++) {
            byte[] piece = piece(seed, i);
            byte[] hash = sha.digest(piece);
            int index = i;
            pending.add(store.putPiece(hash, piece).thenRun(() -> ack("ACK " + index + " " + HexFormat.of().formatHex(hash))));
            if (pending.size() >= inFlight) {
                pending.poll().join();
            }
            if (i % 10 == 9) {
                Manifest m = PieceHasher.manifestOf(piece);
                store.putContent(new StoredContent(m, new byte[] {1, 2, 3}, System.currentTimeMillis()));
                ack("MANIFEST " + m.contentId());
            }
        }
    }

    /** Piece {@code i} of a run: full-size pieces, every seventh one shorter (a content's last piece). */
    static byte[] piece(long seed, int i) {
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + i);
        byte[] piece = new byte[i % 7 == 6 ? 1 + random.nextInt(Manifest.PIECE_SIZE - 1) : Manifest.PIECE_SIZE];
        random.nextBytes(piece);
        return piece;
    }

    private static synchronized void ack(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
