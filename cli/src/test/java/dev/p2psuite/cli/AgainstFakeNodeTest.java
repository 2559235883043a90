package dev.p2psuite.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.p2psuite.proto.gateway.v1.GetContentResponse;
import dev.p2psuite.proto.gateway.v1.PutContentRequest;
import io.grpc.Status;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** put, get, stat, info against an in-process stand-in node: streaming, files, output formats, exit codes. */
class AgainstFakeNodeTest {

    private final FakeNode node;
    private final CliHarness cli;
    @TempDir
    Path dir;

    AgainstFakeNodeTest() throws Exception {
        node = new FakeNode();
        cli = CliHarness.inProcess(node.name);
    }

    @AfterEach
    void stop() {
        node.close();
    }

    private Path sample(String name, int size) throws Exception {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return Files.write(dir.resolve(name), data);
    }

    @Test
    void putStreamsPieceSizedChunksAfterAStartWithTheExpectedSizeAndPrintsTheId() throws Exception {
        Path file = sample("sample.bin", 3 * 262_144 + 1000);
        CliHarness.Run run = cli.run("put", file.toString(), "--tag", "demo");
        assertThat(run.exitCode()).as("%s", run).isZero();
        String id = FakeNode.idOf(Files.readAllBytes(file));
        assertThat(run.out()).isEqualTo(id + System.lineSeparator());
        assertThat(run.err()).contains("put sample.bin: 769 KiB in 4 pieces", "stored on node 1, announced to 2 DHT nodes")
                .doesNotContain("\r");
        List<PutContentRequest> messages = node.received;
        assertThat(messages.get(0).getStart().getExpectedSizeBytes()).isEqualTo(Files.size(file));
        assertThat(messages.get(0).getStart().getMetadata().getName()).isEqualTo("sample.bin");
        assertThat(messages.get(0).getStart().getMetadata().getTagsList()).containsExactly("demo");
        assertThat(messages.subList(1, messages.size())).extracting(m -> m.getChunk().size())
                .containsExactly(262_144, 262_144, 262_144, 1000);
    }

    @Test
    void putOfAnEmptyFileSendsOnlyTheStart() throws Exception {
        Path file = Files.write(dir.resolve("empty"), new byte[0]);
        CliHarness.Run run = cli.run("put", file.toString(), "-q");
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(node.received).hasSize(1);
        assertThat(run.err()).isEmpty();
    }

    @Test
    void putJsonIsOneObjectWithTheResponseAndTiming() throws Exception {
        Path file = sample("a.bin", 1000);
        CliHarness.Run run = cli.run("--json", "put", file.toString());
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.out().strip()).doesNotContain("\n");
        JsonObject json = JsonParser.parseString(run.out()).getAsJsonObject();
        assertThat(json.getAsJsonObject("content").get("contentId").getAsString()).startsWith("b");
        assertThat(json.getAsJsonObject("content").get("pieceCount").getAsInt()).isEqualTo(1);
        assertThat(json.get("alreadyPresent").getAsBoolean()).isFalse();
        assertThat(json.get("providersAnnounced").getAsInt()).isEqualTo(2);
        assertThat(json.get("file").getAsString()).isEqualTo(file.toString());
        assertThat(json.has("seconds")).isTrue();
        assertThat(run.err()).isEmpty();
    }

    @Test
    void getWritesTheWholeContentUnderTheTargetNameOnlyWhenComplete() throws Exception {
        Path file = sample("in.bin", 5 * 262_144 + 7);
        String id = cli.run("put", file.toString()).out().strip();
        Path out = dir.resolve("out.bin");
        CliHarness.Run run = cli.run("get", id, "-o", out.toString());
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(file));
        assertThat(run.err()).matches("get: 1\\.25 MiB to \\Q" + out + "\\E in [0-9.]+ s \\([0-9.]+ \\w+/s\\), "
                + "6 pieces fetched by node 1 from 2 peers\\R");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void getOfARangeWritesExactlyThoseBytes() throws Exception {
        Path file = sample("in.bin", 3 * 262_144);
        byte[] all = Files.readAllBytes(file);
        String id = cli.run("put", file.toString()).out().strip();
        Path out = dir.resolve("part.bin");
        CliHarness.Run run = cli.run("get", id, "-o", out.toString(), "--range", "262000-262999");
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(java.util.Arrays.copyOfRange(all, 262_000, 263_000));
        assertThat(run.err()).contains("(bytes 262000-262999 of 786,432)");
        CliHarness.Run past = cli.run("get", id, "-o", out.toString(), "--range", "999999999-");
        assertThat(past.exitCode()).isEqualTo(ExitCodes.INVALID_ARGUMENT);
        assertThat(past.err()).contains("OUT_OF_RANGE: range starts at 999999999");
    }

    @Test
    void getToStdoutWritesTheBytesThere() throws Exception {
        Path file = sample("in.bin", 300_000);
        String id = cli.run("put", file.toString()).out().strip();
        CliHarness.Run run = cli.run("get", id, "-o", "-");
        assertThat(run.exitCode()).as("%s", run).isZero();
        assertThat(run.stdoutBytes()).isEqualTo(Files.readAllBytes(file));
        assertThat(run.err()).contains("to stdout");
    }

    @Test
    void getJsonDescribesTheTransfer() throws Exception {
        Path file = sample("in.bin", 1000);
        String id = cli.run("put", file.toString()).out().strip();
        CliHarness.Run run = cli.run("get", id, "-o", dir.resolve("o").toString(), "--json");
        assertThat(run.exitCode()).as("%s", run).isZero();
        JsonObject json = JsonParser.parseString(run.out()).getAsJsonObject();
        assertThat(json.get("length").getAsLong()).isEqualTo(1000);
        assertThat(json.get("bytesWritten").getAsLong()).isEqualTo(1000);
        assertThat(json.get("peers").getAsInt()).isEqualTo(2);
        assertThat(json.getAsJsonObject("content").get("contentId").getAsString()).isEqualTo(id);
        assertThat(json.getAsJsonObject("progress").get("piecesDone").getAsInt()).isEqualTo(1);
    }

    @Test
    void aStreamShorterThanItsHeaderLeavesNoFileAndFails() throws Exception {
        Path file = sample("in.bin", 3 * 262_144);
        String id = cli.run("put", file.toString()).out().strip();
        Path out = dir.resolve("out.bin");
        node.getTamper = stream -> stream.subList(0, stream.size() - 1); // drop the last chunk
        CliHarness.Run run = cli.run("get", id, "-o", out.toString());
        assertThat(run.exitCode()).as("%s", run).isEqualTo(ExitCodes.FAILURE);
        assertThat(run.err()).contains("after 524288 of the 786432 bytes its header announced; nothing was saved");
        assertThat(out).doesNotExist();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void chunksOutOfOrderAreRefused() throws Exception {
        Path file = sample("in.bin", 3 * 262_144);
        String id = cli.run("put", file.toString()).out().strip();
        node.getTamper = stream -> {
            List<GetContentResponse> swapped = new ArrayList<>(stream.stream().filter(m -> !m.hasProgress()).toList());
            java.util.Collections.swap(swapped, 1, 2);
            return swapped;
        };
        Path out = dir.resolve("out.bin");
        CliHarness.Run run = cli.run("get", id, "-o", out.toString());
        assertThat(run.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(run.err()).contains("data at byte 262144 where byte 0 was due");
        assertThat(out).doesNotExist();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void anExistingTargetIsReplacedOnlyOnSuccess() throws Exception {
        Path out = Files.writeString(dir.resolve("keep.txt"), "previous");
        CliHarness.Run run = cli.run("get", "bunknown", "-o", out.toString());
        assertThat(run.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(Files.readString(out)).isEqualTo("previous");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void grpcStatusesMapToExitCodesWithTheirDescriptionAndNoStackTrace() throws Exception {
        CliHarness.Run notFound = cli.run("get", "bunknown", "-o", dir.resolve("x").toString());
        assertThat(notFound.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(notFound.err()).isEqualTo("p2p get: NOT_FOUND: no provider of bunknown found in the DHT; check the ID, "
                + "or put the content first" + System.lineSeparator());
        assertThat(notFound.out()).isEmpty();

        CliHarness.Run json = cli.run("stat", "bunknown", "--json");
        assertThat(json.exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        JsonObject error = JsonParser.parseString(json.out()).getAsJsonObject().getAsJsonObject("error");
        assertThat(error.get("code").getAsString()).isEqualTo("NOT_FOUND");
        assertThat(error.get("exitCode").getAsInt()).isEqualTo(3);
        assertThat(error.get("message").getAsString()).contains("unknown content bunknown");

        node.failWith = Status.UNAVAILABLE.withDescription("storage-service of this node is down; ./p2p restart 1 storage-service");
        CliHarness.Run unavailable = cli.run("get", "bunknown", "-o", dir.resolve("x").toString());
        assertThat(unavailable.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(unavailable.err()).contains("UNAVAILABLE: storage-service of this node is down");

        node.failWith = Status.RESOURCE_EXHAUSTED;
        Path file = sample("in.bin", 10);
        CliHarness.Run full = cli.run("put", file.toString());
        assertThat(full.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(full.err()).contains("RESOURCE_EXHAUSTED: a limit was reached");

        CliHarness.Run unimplemented = cli.run("peers");
        assertThat(unimplemented.exitCode()).isEqualTo(ExitCodes.FAILURE);
        assertThat(unimplemented.err()).contains("UNIMPLEMENTED", "does not offer this call yet");
        for (CliHarness.Run r : List.of(notFound, json, unavailable, full, unimplemented)) {
            assertThat(r.err()).doesNotContain("\tat ", "Exception");
        }
    }

    @Test
    void everyStatusHasItsExitCode() {
        assertThat(ExitCodes.of(Status.Code.OK)).isEqualTo(0);
        assertThat(ExitCodes.of(Status.Code.NOT_FOUND)).isEqualTo(3);
        assertThat(ExitCodes.of(Status.Code.INVALID_ARGUMENT)).isEqualTo(4);
        assertThat(ExitCodes.of(Status.Code.OUT_OF_RANGE)).isEqualTo(4);
        assertThat(ExitCodes.of(Status.Code.UNAVAILABLE)).isEqualTo(5);
        assertThat(ExitCodes.of(Status.Code.DEADLINE_EXCEEDED)).isEqualTo(6);
        for (Status.Code other : List.of(Status.Code.UNKNOWN, Status.Code.INTERNAL, Status.Code.UNIMPLEMENTED,
                Status.Code.RESOURCE_EXHAUSTED, Status.Code.PERMISSION_DENIED, Status.Code.CANCELLED)) {
            assertThat(ExitCodes.of(other)).as("%s", other).isEqualTo(1);
        }
    }

    @Test
    void aClosedPortIsUnavailableWithAHintToStartTheNetwork() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        CliHarness real = CliHarness.real();
        real.env.put("P2P_BASE_PORT", Integer.toString(port));
        CliHarness.Run run = real.run("info");
        assertThat(run.exitCode()).as("%s", run).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(run.err()).isEqualTo("p2p info: cannot reach node 1 of the local network (127.0.0.1:" + port
                + "): connection refused. Is the local network running? Start it with ./p2p up, or choose a node with "
                + "--node N or --gateway HOST:PORT." + System.lineSeparator());
        CliHarness.Run gateway = real.run("info", "--gateway", "127.0.0.1:" + port);
        assertThat(gateway.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(gateway.err()).contains("cannot reach the gateway at 127.0.0.1:" + port);
    }

    @Test
    void progressBarIsDrawnOnATerminalOnlyAndNotWithQuiet() throws Exception {
        Path file = sample("in.bin", 2 * 262_144);
        cli.stderrIsTerminal = true;
        CliHarness.Run put = cli.run("put", file.toString());
        assertThat(put.err()).contains("\rput [", "%  ").contains("put in.bin: 512 KiB in 2 pieces");
        String id = put.out().strip();
        CliHarness.Run get = cli.run("get", id, "-o", dir.resolve("o").toString());
        assertThat(get.err()).contains("\rget [", "2 peers", "get: 512 KiB to ");
        CliHarness.Run quiet = cli.run("get", id, "-o", dir.resolve("o").toString(), "--quiet");
        assertThat(quiet.exitCode()).isZero();
        assertThat(quiet.err()).isEmpty();
    }

    @Test
    void statAndInfoInTextAndJson() throws Exception {
        Path file = sample("in.bin", 262_145);
        String id = cli.run("put", file.toString()).out().strip();
        CliHarness.Run stat = cli.run("stat", id);
        assertThat(stat.exitCode()).as("%s", stat).isZero();
        assertThat(stat.out()).contains("id           " + id, "size         256 KiB (262,145 bytes)",
                "pieces       2 of 256 KiB", "held         2 of 2 pieces on node 1 (complete)");
        JsonObject statJson = JsonParser.parseString(cli.run("stat", id, "--json").out()).getAsJsonObject();
        assertThat(statJson.getAsJsonObject("content").get("sizeBytes").getAsString()).isEqualTo("262145");
        assertThat(statJson.get("local").getAsBoolean()).isTrue();

        CliHarness.Run info = cli.run("info");
        assertThat(info.out()).contains("node id        " + "ab".repeat(20), "ready          yes", "up 1m 00s");
        JsonObject infoJson = JsonParser.parseString(cli.run("info", "--json").out()).getAsJsonObject();
        assertThat(infoJson.get("nodeId").getAsString()).isEqualTo("ab".repeat(20));
        assertThat(infoJson.get("routingTableSize").getAsInt()).isEqualTo(2);
        assertThat(infoJson.get("connectedPeers").getAsInt()).isZero(); // fields with default values are present
    }

    private List<Path> leftovers() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".part")).toList();
        }
    }
}
