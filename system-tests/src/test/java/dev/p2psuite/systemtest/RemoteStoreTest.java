package dev.p2psuite.systemtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.gateway.v1.StatRequest;
import dev.p2psuite.proto.gateway.v1.StatResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * storage-service's remote mode ({@code P2P_STORAGE_MODE=remote}) against a real Infinispan server speaking Hot Rod
 * in a process of its own (module {@code system-tests/hotrod-server}, Infinispan 15.2 while the client is 16.0: the
 * protocol, not a shared jar, connects them). A one-node network started with {@code ./p2p} keeps its pieces there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteStoreTest {

    private static final int BASE_PORT = 17_400;
    private static final int HOTROD_PORT = 17_450;
    private static final Path SERVER_MODULE = Path.of("hotrod-server").toAbsolutePath();
    private static final Path SERVER_DATA = Path.of("target", "hotrod-server-data").toAbsolutePath();

    private final SecureRandom random = new SecureRandom();
    private LocalNetwork network;
    private Process server;
    private byte[] content;
    private String contentId;

    @BeforeAll
    void start() throws Exception {
        deleteTree(SERVER_DATA);
        server = startServer();
        network = new LocalNetwork(1, BASE_PORT, "p2p-run-remote-store");
        network.p2p("down");
        deleteTree(network.runDir);
        up();
    }

    @AfterAll
    void stop() throws Exception {
        if (network != null) {
            network.close();
        }
        if (server != null) {
            server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(1)
    void aPutStoresItsPiecesInTheHotRodServerAndNothingOnTheNodesDisk() throws Exception {
        content = new byte[3 * 262_144 + 1]; // 4 pieces, the last one byte long
        random.nextBytes(content);
        contentId = ContentClient.put(network.channel(1, "gateway"), content, "remote.bin").getContent().getContentId();

        assertThat(ContentClient.get(network.channel(1, "gateway"), contentId).data()).isEqualTo(content);
        assertThat(network.runDir.resolve("node1/data/storage")).doesNotExist();
        assertThat(Files.readString(network.runDir.resolve("logs/node1-storage-service.log")))
                .contains("piece store: remote Infinispan over Hot Rod at 127.0.0.1:" + HOTROD_PORT);
    }

    @Test
    @Order(2)
    void aNewNodeOnAnEmptyDiskFindsTheContentInTheServer() throws Exception {
        assertThat(network.p2p("down").exitCode()).isZero();
        deleteTree(network.runDir); // a new identity, no local state at all
        up();

        StatResponse stat = NodeApiGrpc.newBlockingStub(network.channel(1, "gateway"))
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .stat(StatRequest.newBuilder().setContentId(contentId).build());
        assertThat(stat.getLocal()).isTrue();
        assertThat(stat.getContent().getSizeBytes()).isEqualTo(content.length);
        assertThat(stat.getContent().getComplete()).isTrue();
        assertThat(ContentClient.get(network.channel(1, "gateway"), contentId).data()).isEqualTo(content);
    }

    @Test
    @Order(3)
    void whileTheServerIsDownAPutFailsWithAStatusAndTheNodeRecoversWhenItReturns() throws Exception {
        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // kill -9: its file stores must hold what it acked
        byte[] more = new byte[262_144 + 7];
        random.nextBytes(more);
        assertThatThrownBy(() -> ContentClient.put(network.channel(1, "gateway"), more, "down.bin"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription()).contains("Hot Rod server(s) 127.0.0.1:" + HOTROD_PORT
                            + " cannot be reached");
                });

        server = startServer();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(ContentClient.get(network.channel(1, "gateway"), contentId).data()).isEqualTo(content));
        String again = ContentClient.put(network.channel(1, "gateway"), more, "back.bin").getContent().getContentId();
        assertThat(ContentClient.get(network.channel(1, "gateway"), again).data()).isEqualTo(more);
    }

    private void up() throws Exception {
        LocalNetwork.Result up = network.p2p(Map.of("P2P_STORAGE_MODE", "remote",
                "P2P_STORAGE_REMOTE_SERVERS", "127.0.0.1:" + HOTROD_PORT), "up", "--nodes", "1");
        assertThat(up.exitCode()).as("./p2p up output:\n%s", up.output()).isZero();
    }

    /** Starts the Hot Rod server on {@link #SERVER_DATA} and waits for its ready line. */
    private static Process startServer() throws Exception {
        String classpath = SERVER_MODULE.resolve("target/classes") + File.pathSeparator
                + SERVER_MODULE.resolve("target/lib") + File.separator + "*";
        Process process = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-cp", classpath, "dev.p2psuite.testserver.HotRodTestServer",
                "127.0.0.1", Integer.toString(HOTROD_PORT), SERVER_DATA.toString(), "pieces", "manifests"))
                .redirectErrorStream(true).start();
        CompletableFuture<Void> ready = new CompletableFuture<>();
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                    if (line.startsWith("hotrod-test-server ready")) {
                        ready.complete(null);
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
            ready.completeExceptionally(new IllegalStateException("Hot Rod test server ended:\n" + output));
        }, "hotrod-server-output");
        reader.setDaemon(true);
        reader.start();
        ready.get(90, TimeUnit.SECONDS);
        return process;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
