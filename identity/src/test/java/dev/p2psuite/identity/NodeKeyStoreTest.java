package dev.p2psuite.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeKeyStoreTest {

    @TempDir
    Path dataDir;

    private Path keyFile() {
        return dataDir.resolve("identity").resolve("node.key");
    }

    private static boolean posix(Path p) {
        return p.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    @Test
    void firstStartCreatesTheKeyAndLaterStartsReloadTheSameKey() {
        NodeKey created = NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1));
        assertThat(keyFile()).isRegularFile();
        NodeKey reloaded = NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(2));
        assertThat(reloaded.nodeId()).isEqualTo(created.nodeId());
        assertThat(reloaded.privateKeyBytes()).isEqualTo(created.privateKeyBytes());
        assertThat(NodeKeyStore.keyFile(dataDir)).isEqualTo(keyFile());
    }

    @Test
    void keyFileIsTheVersionLineAndTheBase64PrivateKey() throws IOException {
        NodeKey key = NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1));
        assertThat(Files.readString(keyFile())).isEqualTo(
                "p2p-ed25519-v1\n" + Base64.getEncoder().encodeToString(key.privateKeyBytes()) + "\n");
        assertThat(dataDir.resolve("identity").resolve("node.key.tmp")).doesNotExist();
    }

    @Test
    void keyFileIsReadableAndWritableOnlyByItsOwner() throws IOException {
        assumeTrue(posix(dataDir), "filesystem has no POSIX permissions");
        NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile().getParent())))
                .isEqualTo("rwx------");
    }

    @Test
    void keyWrittenByHandInTheDocumentedFormatIsLoaded() throws IOException {
        NodeKey key = TestSupport.key(5);
        Files.createDirectories(keyFile().getParent());
        Files.writeString(keyFile(),
                "p2p-ed25519-v1\r\n" + Base64.getEncoder().encodeToString(key.privateKeyBytes()));
        assertThat(NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1)).nodeId()).isEqualTo(key.nodeId());
    }

    @Test
    void concurrentLoadOrCreateFromManyThreadsYieldsOneKey() throws Exception {
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<NodeId>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                long seed = i;
                results.add(pool.submit(() -> {
                    start.await();
                    return NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(seed)).nodeId();
                }));
            }
            start.countDown();
            Set<NodeId> ids = new HashSet<>();
            for (Future<NodeId> r : results) {
                ids.add(r.get(30, TimeUnit.SECONDS));
            }
            assertThat(ids).hasSize(1);
            assertThat(NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(99)).nodeId()).isIn(ids);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentLoadOrCreateFromSeveralProcessesYieldsOneKey() throws Exception {
        // The node's four services start together against one data dir.
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long startAt = System.currentTimeMillis() + 3_000;
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            processes.add(new ProcessBuilder(java, "-cp", classPath, KeyStoreProcess.class.getName(),
                    dataDir.toString(), Long.toString(startAt)).redirectErrorStream(true).start());
        }
        Set<String> ids = new HashSet<>();
        for (Process p : processes) {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(p.exitValue()).as(out).isZero();
            ids.add(out);
        }
        assertThat(ids).hasSize(1);
        assertThat(ids).containsExactly(NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1)).nodeId().toHex());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "empty file                 ||it is empty",
        "wrong header               |p2p-rsa-v1\\nAAAA\\n|the first line is not 'p2p-ed25519-v1'",
        "header only                |p2p-ed25519-v1\\n|expected 2 lines",
        "extra line                 |p2p-ed25519-v1\\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\\nmore\\n|expected 2 lines",
        "not base64                 |p2p-ed25519-v1\\n!!!notbase64!!!\\n|not valid base64",
        "key too short              |p2p-ed25519-v1\\nAAAA\\n|the private key is 3 bytes, expected 32",
    })
    void corruptKeyFileIsRejectedNamingThePathAndLeftUntouched(String what, String content, String problem)
            throws IOException {
        byte[] bytes = (content == null ? "" : content.replace("\\n", "\n")).getBytes(StandardCharsets.UTF_8);
        Files.createDirectories(keyFile().getParent());
        Files.write(keyFile(), bytes);
        assertThatThrownBy(() -> NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(keyFile().toString())
                .hasMessageContaining(problem);
        assertThat(Files.readAllBytes(keyFile())).isEqualTo(bytes);
    }

    @Test
    void binaryGarbageIsRejectedAsNotText() throws IOException {
        Files.createDirectories(keyFile().getParent());
        Files.write(keyFile(), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertThatThrownBy(() -> NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not UTF-8 text");
    }

    @Test
    void directoryWhereTheKeyFileShouldBeIsRejected() throws IOException {
        Files.createDirectories(keyFile());
        assertThatThrownBy(() -> NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(keyFile().toString())
                .hasMessageContaining("not a regular file");
    }

    @Test
    void danglingSymlinkIsAnErrorNotAReasonToCreateANewKey() throws IOException {
        Files.createDirectories(keyFile().getParent());
        Files.createSymbolicLink(keyFile(), dataDir.resolve("gone"));
        assertThatThrownBy(() -> NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not a regular file");
        assertThat(dataDir.resolve("gone")).doesNotExist();
    }

    @Test
    void unreadableKeyFileIsRejectedNamingThePath() throws IOException {
        assumeTrue(posix(dataDir), "filesystem has no POSIX permissions");
        NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1));
        Files.setPosixFilePermissions(keyFile(), PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(keyFile()), "running as root: permissions do not stop reads");
        assertThatThrownBy(() -> NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(keyFile().toString())
                .hasMessageContaining("permission denied");
    }

    @Test
    void leftoverTempFileFromACrashedCreationDoesNotGetInTheWay() throws IOException {
        Files.createDirectories(keyFile().getParent());
        Files.writeString(keyFile().resolveSibling("node.key.tmp"), "half-writ");
        NodeKey key = NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(1));
        assertThat(NodeKeyStore.loadOrCreate(dataDir, TestSupport.seeded(2)).nodeId()).isEqualTo(key.nodeId());
        assertThat(keyFile().resolveSibling("node.key.tmp")).doesNotExist();
    }
}
