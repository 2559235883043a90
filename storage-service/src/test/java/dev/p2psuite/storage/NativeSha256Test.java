package dev.p2psuite.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.storage.core.Manifest;
import dev.p2psuite.storage.core.PieceHasher;
import dev.p2psuite.storage.core.Sha256;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SHA-256 from the system's NSS (CI installs Debian's libnss3, as the storage image installs UBI's nss). */
class NativeSha256Test {

    @TempDir
    Path dir;

    @AfterEach
    void platformSha256Again() {
        Sha256.use(null);
    }

    private static Path systemNss() {
        Optional<Path> nss = NativeSha256.findNss(NativeSha256.NSS_LIBRARY_DIRS);
        assertThat(nss).as("NSS's %s in one of %s (Debian: apt-get install libnss3; .ci/run does)",
                NativeSha256.NSS_SOFTOKEN, NativeSha256.NSS_LIBRARY_DIRS).isPresent();
        return nss.get();
    }

    @Test
    void nssHashesPiecesAndContentIdsExactlyAsTheJdkDoes() {
        byte[] content = new byte[3 * 262_144 + 1_000];
        new SplittableRandom(7).nextBytes(content);
        Manifest jdk = PieceHasher.manifestOf(content);
        Provider nssProvider = NativeSha256.nss(systemNss());
        for (int length : new int[] {0, 1}) {
            Manifest tiny = PieceHasher.manifestOf(new byte[length]);
            Sha256.use(nssProvider);
            assertThat(PieceHasher.manifestOf(new byte[length]).contentId()).isEqualTo(tiny.contentId());
            Sha256.use(null);
        }

        Sha256.use(nssProvider);

        assertThat(Sha256.implementation()).isEqualTo("SunPKCS11-NSS");
        Manifest nss = PieceHasher.manifestOf(content);
        assertThat(nss).isEqualTo(jdk);
        assertThat(nss.contentId()).isEqualTo(jdk.contentId());
        assertThat(nss.verifyPiece(3, java.util.Arrays.copyOfRange(content, 3 * 262_144, content.length))).isTrue();
        java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(262_144).put(content, 262_144, 262_144).flip();
        assertThat(nss.verifyPiece(1, direct)).as("a direct buffer").isTrue();
        assertThat(nss.verifyPiece(2, java.nio.ByteBuffer.wrap(content, 262_144, 262_144))).isFalse();
    }

    @Test
    void autoFindsTheSystemNssAndJdkModeKeepsThePlatformsOwn() {
        NativeSha256.install(StorageConfig.Sha256.AUTO, Optional.empty());
        assertThat(Sha256.implementation()).isEqualTo("SunPKCS11-NSS");

        NativeSha256.install(StorageConfig.Sha256.JDK, Optional.empty());
        assertThat(Sha256.implementation()).isEqualTo("SUN");
    }

    @Test
    void withoutNssAutoFallsBackToTheJdkAndNssModeRefusesToStart() throws Exception {
        Optional<Path> empty = Optional.of(dir);

        NativeSha256.install(StorageConfig.Sha256.AUTO, empty);
        assertThat(Sha256.implementation()).isEqualTo("SUN");

        assertThatThrownBy(() -> NativeSha256.install(StorageConfig.Sha256.NSS, empty))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("libsoftokn3.so")
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("libnss3");
    }

    @Test
    void findsTheFirstDirectoryHoldingTheSoftToken() throws Exception {
        Path a = Files.createDirectory(dir.resolve("a"));
        Path b = Files.createDirectory(dir.resolve("b"));
        Files.writeString(b.resolve(NativeSha256.NSS_SOFTOKEN), "");

        assertThat(NativeSha256.findNss(List.of(a, b))).contains(b);
        assertThat(NativeSha256.findNss(List.of(a))).isEmpty();
    }
}
