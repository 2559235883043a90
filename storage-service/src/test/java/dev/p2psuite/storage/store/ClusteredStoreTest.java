package dev.p2psuite.storage.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.storage.core.Manifest;
import dev.p2psuite.storage.core.PieceHasher;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code p2p.storage.mode=clustered}: two storage instances of one node (two cache managers, each with its own
 * directory, as two processes would have) form one JGroups cluster over loopback TCP and see each other's pieces
 * and manifests.
 */
class ClusteredStoreTest {

    @TempDir
    Path a;
    @TempDir
    Path b;

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static InfinispanPieceStore open(Path dir, int port, List<String> hosts) {
        return InfinispanPieceStore.open(new InfinispanPieceStore.Options(dir, 8, 8,
                new InfinispanPieceStore.Cluster("p2p-storage-test", "storage-" + port, "127.0.0.1", port, hosts,
                        true, 2)));
    }

    @Test
    void twoClusteredInstancesSeeEachOthersPiecesAndManifests() throws Exception {
        int pa = freePort();
        int pb = freePort();
        List<String> hosts = List.of("127.0.0.1[" + pa + "]", "127.0.0.1[" + pb + "]");
        try (InfinispanPieceStore first = open(a, pa, hosts); InfinispanPieceStore second = open(b, pb, hosts)) {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> first.members().size() == 2
                    && second.members().size() == 2);

            byte[] piece = new byte[Manifest.PIECE_SIZE];
            new java.util.SplittableRandom(5).nextBytes(piece);
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(piece);
            first.putPiece(hash, piece).join();
            Manifest m = PieceHasher.manifestOf(piece);
            first.putContent(new StoredContent(m, new byte[0], 1));
            assertThat(second.hasPiece(hash)).isTrue();
            assertThat(second.getPiece(hash)).isEqualTo(piece);
            assertThat(second.getContent(m.contentId())).isPresent();
            assertThat(second.contentIds()).contains(m.contentId());

            byte[] other = "written on the second instance".getBytes();
            byte[] otherHash = MessageDigest.getInstance("SHA-256").digest(other);
            second.putPiece(otherHash, other).join();
            assertThat(first.getPiece(otherHash)).isEqualTo(other);
            assertThat(first.describe()).contains("clustered Infinispan (replicated");
        }
    }
}
