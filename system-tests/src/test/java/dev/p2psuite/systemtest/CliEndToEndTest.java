package dev.p2psuite.systemtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The command line as a user types it, on a 3-node network of real processes started with {@code ./p2p up}:
 * {@code ./p2p put} on node 1, {@code ./p2p get} on node 3 with the CLI and with the Node.js client, byte for
 * byte; exit codes of unknown and malformed IDs; stat, providers, dht, info; and {@code ./p2p demo}.
 *
 * <p>Its own run directory ({@code target/p2p-run-cli}) so that it never stops a network another test class
 * started; base port 17100 like LocalNetworkTest (the classes run one after the other), or
 * {@code -Dp2p.cli-e2e.base-port=N}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliEndToEndTest {

    private static final int NODES = 3;
    private static final int NOT_FOUND = 3;
    private static final int INVALID_ARGUMENT = 4;
    private static final Pattern CONTENT_ID = Pattern.compile("b[a-z2-7]{55}");

    private final SecureRandom random = new SecureRandom();
    private final Path repo = Path.of("..").toAbsolutePath().normalize();
    private final Path runDir = Path.of("target", "p2p-run-cli").toAbsolutePath();
    private final int basePort = Integer.getInteger("p2p.cli-e2e.base-port", 17_100);
    private Path work;
    private byte[] content;
    private String id;

    @BeforeAll
    void startNetwork() throws Exception {
        work = Files.createDirectories(Path.of("target", "cli-e2e").toAbsolutePath());
        p2p("down"); // a network left over by an interrupted run
        Run up = p2p("up", "--nodes", Integer.toString(NODES));
        System.out.println(up.out() + up.err());
        assertThat(up.exitCode()).as("./p2p up:\n%s", up).isZero();
    }

    @AfterAll
    void stopNetwork() throws Exception {
        Run down = p2p("down");
        System.out.println(down.out());
    }

    @Test
    @Order(1)
    void putOnNode1WithTheCliAndGetOnNode3WithTheCliIsByteIdentical() throws Exception {
        content = new byte[3 * 262_144 + 12_345]; // four pieces, the last one short
        random.nextBytes(content);
        Path original = Files.write(work.resolve("original.bin"), content);

        Run put = p2p("put", original.toString(), "--node", "1", "--tag", "e2e");
        assertThat(put.exitCode()).as("%s", put).isZero();
        id = put.out().strip();
        assertThat(id).matches(CONTENT_ID);
        assertThat(put.err()).as("summary line on stderr, no progress bar when stderr is not a terminal")
                .contains("put original.bin: 780 KiB in 4 pieces", "stored on node 1, announced to ").doesNotContain("\r");

        Path copy = work.resolve("from-node3.bin");
        Run get = p2p("get", id, "-o", copy.toString(), "--node", "3");
        assertThat(get.exitCode()).as("%s", get).isZero();
        assertThat(Files.readAllBytes(copy)).isEqualTo(content);
        assertThat(get.err()).contains("get: 780 KiB to " + copy, "4 pieces fetched by node 3 from ");
        assertThat(partFiles()).isEmpty();

        Path part = work.resolve("range.bin");
        Run range = p2p("get", id, "-o", part.toString(), "--node", "2", "--range", "100000-599999");
        assertThat(range.exitCode()).as("%s", range).isZero();
        assertThat(Files.readAllBytes(part)).isEqualTo(Arrays.copyOfRange(content, 100_000, 600_000));
    }

    @Test
    @Order(2)
    void theNodeClientGetsOnNode3WhatTheCliPutAndTheCliGetsWhatTheNodeClientPut() throws Exception {
        Path client = repo.resolve("clients/node");
        if (!Files.isDirectory(client.resolve("node_modules"))) {
            assertThat(System.getenv("CI")).as("CI installs the Node client (npm ci in clients/node)").isNull();
            Assumptions.abort("run 'npm ci' in clients/node to test the Node.js client");
        }
        assertThat(id).as("the CLI put of the first test").isNotNull();
        Path viaNode = work.resolve("node-client-copy.bin");
        Run get = node("--target", "127.0.0.1:" + gatewayPort(3), "get", id, viaNode.toString());
        assertThat(get.exitCode()).as("%s", get).isZero();
        assertThat(Files.readAllBytes(viaNode)).isEqualTo(content);

        byte[] other = new byte[262_144 + 1];
        random.nextBytes(other);
        Path source = Files.write(work.resolve("from-node-client.bin"), other);
        Run put = node("--target", "127.0.0.1:" + gatewayPort(2), "put", source.toString());
        assertThat(put.exitCode()).as("%s", put).isZero();
        Matcher putId = Pattern.compile("\"contentId\":\"(" + CONTENT_ID.pattern() + ")\"").matcher(put.out());
        assertThat(putId.find()).as("%s", put).isTrue();
        Path back = work.resolve("node-client-put-cli-get.bin");
        Run cliGet = p2p("get", putId.group(1), "-o", back.toString(), "--node", "1", "--quiet");
        assertThat(cliGet.exitCode()).as("%s", cliGet).isZero();
        assertThat(cliGet.err()).isEmpty();
        assertThat(Files.readAllBytes(back)).isEqualTo(other);
    }

    @Test
    @Order(3)
    void getOfAnUnknownIdExitsWithTheNotFoundCodeFastAndLeavesNoFile() throws Exception {
        String unknown = randomContentId();
        Path target = work.resolve("never.bin");
        Run get = p2p("get", unknown, "-o", target.toString(), "--node", "3");
        assertThat(get.exitCode()).as("%s", get).isEqualTo(NOT_FOUND);
        assertThat(get.took()).as("a get of unknown content fails fast").isLessThan(Duration.ofSeconds(15));
        assertThat(get.err()).startsWith("p2p get: NOT_FOUND: ").doesNotContain("Exception", "\tat ");
        assertThat(target).doesNotExist();
        assertThat(partFiles()).isEmpty();

        Run stat = p2p("stat", unknown, "--node", "2", "--json");
        assertThat(stat.exitCode()).as("%s", stat).isEqualTo(NOT_FOUND);
        assertThat(stat.out()).contains("\"code\":\"NOT_FOUND\"", "\"exitCode\":3");

        Run malformed = p2p("get", "not-a-content-id", "-o", target.toString());
        assertThat(malformed.exitCode()).as("%s", malformed).isEqualTo(INVALID_ARGUMENT);
        assertThat(malformed.err()).startsWith("p2p get: INVALID_ARGUMENT: ");
        assertThat(target).doesNotExist();
    }

    @Test
    @Order(4)
    void statProvidersInfoAndDhtThroughTheCli() throws Exception {
        assertThat(id).as("the CLI put of the first test").isNotNull();
        Run stat = p2p("stat", id, "--node", "3");
        assertThat(stat.exitCode()).as("%s", stat).isZero();
        assertThat(stat.out()).contains("id           " + id, "name         original.bin", "tags         e2e",
                "size         780 KiB (798,777 bytes)", "pieces       4 of 256 KiB");
        Run manifest = p2p("stat", id, "--manifest", "--json");
        assertThat(manifest.exitCode()).as("%s", manifest).isZero();
        assertThat(manifest.out()).contains("\"pieceHashes\":[");

        Run info = p2p("info", "--node", "1");
        assertThat(info.exitCode()).as("%s", info).isZero();
        Matcher node1 = Pattern.compile("node id +([0-9a-f]{40})").matcher(info.out());
        assertThat(node1.find()).as("%s", info).isTrue();
        assertThat(info.out()).contains("ready          yes");
        Run providers = p2p("providers", id, "--node", "2");
        assertThat(providers.exitCode()).as("%s", providers).isZero();
        assertThat(providers.out()).contains(node1.group(1) + "  127.0.0.1:" + gatewayPort(1));

        String name = "cli-e2e-" + random.nextInt(1_000_000);
        Run dhtPut = p2p("dht", "put", name, "hello from the CLI", "--ttl", "10m", "--node", "1");
        assertThat(dhtPut.exitCode()).as("%s", dhtPut).isZero();
        assertThat(dhtPut.out()).contains("stored '" + name + "'", "on 3 nodes");
        Run dhtGet = p2p("dht", "get", name, "--node", "3");
        assertThat(dhtGet.exitCode()).as("%s", dhtGet).isZero();
        assertThat(dhtGet.out()).isEqualTo("hello from the CLI\n");
        Run missing = p2p("dht", "get", name + "-nobody-wrote-this", "--node", "3");
        assertThat(missing.exitCode()).as("%s", missing).isEqualTo(NOT_FOUND);

        Run routing = p2p("routing", "--node", "2", "--json");
        assertThat(routing.exitCode()).as("%s", routing).isZero();
        assertThat(routing.out()).contains("\"selfNodeId\":");
    }

    @Test
    @Order(5)
    void theDemoPutsOnNode1GetsOnNode3AndVerifies() throws Exception {
        Run demo = p2p("demo");
        assertThat(demo.exitCode()).as("%s", demo).isZero();
        assertThat(demo.out()).contains("using the running network", "identical", "demo passed", "content ID  b",
                "pieces      32 x 256 KiB", "stop it with: ./p2p down");
    }

    @Test
    @Order(6)
    void peersOfNode3IncludeNode1ItFetchedFrom() throws Exception {
        Run peers = p2p("peers", "--node", "3");
        assertThat(peers.exitCode()).as("%s", peers).isZero();
        Matcher node1 = Pattern.compile("node id +([0-9a-f]{40})").matcher(p2p("info", "--node", "1").out());
        assertThat(node1.find()).isTrue();
        assertThat(peers.out()).startsWith("NODE ID").contains(node1.group(1));
    }

    @Test
    @Order(7)
    void searchOnNode2FindsTheContentPutOnNode1ByItsTag() throws Exception {
        // Nodes index their storage every few seconds; the flooded query then reaches node 1 (and node 3, which
        // holds the content since its get).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Run search;
        do {
            search = p2p("search", "E2E", "--node", "2", "--wait", "2000");
            assertThat(search.exitCode()).as("%s", search).isZero();
        } while (!search.out().contains(id) && System.nanoTime() < deadline);
        assertThat(search.out()).contains(id, "original.bin");
        Run bad = p2p("search", "x", "--ttl", "9", "--node", "2");
        assertThat(bad.exitCode()).as("%s", bad).isEqualTo(4); // INVALID_ARGUMENT
    }

    // ---------------------------------------------------------------------------------------------------------

    private int gatewayPort(int node) {
        return basePort + 10 * (node - 1);
    }

    /** A well-formed content ID (multihash SHA-256 prefix, random digest) that no node holds. */
    private String randomContentId() {
        byte[] bytes = new byte[34];
        random.nextBytes(bytes);
        bytes[0] = 0x12;
        bytes[1] = 0x20;
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        StringBuilder s = new StringBuilder("b");
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                s.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            s.append(alphabet.charAt((buffer << (5 - bits)) & 31));
        }
        return s.toString().toLowerCase(Locale.ROOT);
    }

    private List<Path> partFiles() throws IOException {
        try (Stream<Path> files = Files.list(work)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
        }
    }

    record Run(int exitCode, String out, String err, Duration took) {
        @Override
        public String toString() {
            return "exit " + exitCode + " after " + took.toMillis() + " ms\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    private Run p2p(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(repo.resolve("p2p").toString()));
        command.addAll(List.of(args));
        return run(command, repo);
    }

    private Run node(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", "cli.js"));
        command.addAll(List.of(args));
        return run(command, repo.resolve("clients/node"));
    }

    /** Runs a command with this test's network settings; stdout and stderr apart (files: no pipe to fill). */
    private Run run(List<String> command, Path directory) throws Exception {
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(
                        Path.of("/dev/null").toFile()));
        pb.environment().put("P2P_RUN_DIR", runDir.toString());
        pb.environment().put("P2P_BASE_PORT", Integer.toString(basePort));
        pb.environment().remove("P2P_PROGRESS");
        long t0 = System.nanoTime();
        Process process = pb.start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in 5 minutes:\n"
                    + Files.readString(out) + Files.readString(err));
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        Run run = new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8), took);
        Files.delete(out);
        Files.delete(err);
        return run;
    }
}
