package dev.p2psuite.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.proto.common.v1.ByteRange;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Command-line parsing, help, targets and local validation: no node involved (nothing listens). */
class ArgumentsTest {

    private final CliHarness cli = CliHarness.inProcess("nobody-listens-" + System.nanoTime());

    @Test
    void everyCommandHasHelpWithExitCodesAndVersion() {
        List<List<String>> commands = List.of(List.of(), List.of("put"), List.of("get"), List.of("stat"),
                List.of("providers"), List.of("peers"), List.of("dht"), List.of("dht", "put"), List.of("dht", "get"),
                List.of("info"), List.of("routing"), List.of("search"));
        for (List<String> command : commands) {
            String[] help = concat(command, "--help");
            CliHarness.Run run = cli.run(help);
            assertThat(run.exitCode()).as("%s", command).isZero();
            assertThat(run.out()).as("%s", command).contains("Usage: p2p", "Exit codes:", "3   NOT_FOUND",
                    "5   UNAVAILABLE", "--node=N", "--gateway=HOST:PORT", "--json");
            CliHarness.Run version = cli.run(concat(command, "--version"));
            assertThat(version.exitCode()).isZero();
            assertThat(version.out()).startsWith("p2p-cli ");
        }
    }

    @Test
    void usageErrorsExitWith2AndSayWhatIsWrongWithoutAStackTrace() {
        assertUsage(cli.run("frobnicate"), "Unmatched argument", "Did you mean");
        assertUsage(cli.run(), "missing command");
        assertUsage(cli.run("dht"), "missing command: put or get");
        assertUsage(cli.run("get", "bxyz"), "Missing required option: '--output=FILE'");
        assertUsage(cli.run("get", "bxyz", "-o", "out", "--range", "9-3"), "end must not be before its start");
        assertUsage(cli.run("get", "bxyz", "-o", "-", "--json"), "cannot be combined with --json");
        assertUsage(cli.run("info", "--node", "2", "--gateway", "127.0.0.1:1"), "exclusive");
        assertUsage(cli.run("info", "--node", "0"), "--node must be 1 or more");
        assertUsage(cli.run("info", "--node", "x"), "'x' is not an int");
        assertUsage(cli.run("info", "--gateway", "nohost"), "--gateway must be HOST:PORT");
        assertUsage(cli.run("dht", "get", "--raw-hex", "abcd"), "40 hex characters");
        assertUsage(cli.run("dht", "put", "k", "v", "--ttl", "soon"), "--ttl must be");
        assertUsage(cli.run("put", "/no/such/file"), "does not exist");
        assertUsage(cli.run("get", "bxyz", "-o", "/no/such/dir/out.bin"), "does not exist");
        assertUsage(cli.run("info", "--timeout", "-1"), "--timeout");
        assertThat(cli.targets).as("no command with bad arguments opened a channel").isEmpty();
    }

    @Test
    void putOfADirectoryIsAUsageError(@TempDir Path dir) {
        assertUsage(cli.run("put", dir.toString()), "not a regular file");
        assertUsage(cli.run("get", "bxyz", "-o", dir.toString()), "is a directory");
    }

    @Test
    void globalOptionsWorkBeforeAndAfterTheCommand() {
        cli.env.put("P2P_BASE_PORT", "18500");
        cli.run("--node", "3", "info");
        cli.run("info", "--node", "2");
        cli.run("info");
        cli.run("dht", "get", "name", "--gateway", "example.org:9000");
        cli.run("--gateway", "[::1]:7005", "routing");
        assertThat(cli.targets).extracting(Target::address)
                .containsExactly("127.0.0.1:18520", "127.0.0.1:18510", "127.0.0.1:18500", "example.org:9000", "[::1]:7005");
    }

    @Test
    void localNetworkNodesAreTenPortsApartFrom7000ByDefault() {
        assertThat(Target.resolve(null, null, java.util.Map.of()).port()).isEqualTo(7000);
        assertThat(Target.resolve(5, null, java.util.Map.of()).port()).isEqualTo(7040);
        assertThat(Target.resolve(2, null, java.util.Map.of("P2P_BASE_PORT", "17100")).port()).isEqualTo(17110);
        assertThatThrownBy(() -> Target.resolve(1, null, java.util.Map.of("P2P_BASE_PORT", "seven")))
                .hasMessageContaining("P2P_BASE_PORT");
        assertThatThrownBy(() -> Target.resolve(7000, null, java.util.Map.of())).hasMessageContaining("past 65535");
        assertThat(Target.resolve(3, null, java.util.Map.of()).describe()).isEqualTo("node 3 of the local network (127.0.0.1:7020)");
        assertThat(Target.parseGateway("h:1").describe()).isEqualTo("the gateway at h:1");
    }

    @Test
    void rangesAreInclusiveLikeHttp() {
        assertThat(ByteRanges.parse("0-0")).isEqualTo(ByteRange.newBuilder().setOffset(0).setLength(1).build());
        assertThat(ByteRanges.parse("100-299")).isEqualTo(ByteRange.newBuilder().setOffset(100).setLength(200).build());
        assertThat(ByteRanges.parse("5-")).isEqualTo(ByteRange.newBuilder().setOffset(5).setLength(0).build());
        for (String bad : List.of("", "-5", "a-b", "1-2-3", "5", "3-1", "1-99999999999999999999")) {
            assertThatThrownBy(() -> ByteRanges.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void ttlsAndKeys() {
        assertThat(DhtCommand.ttlSeconds("3600")).isEqualTo(3600);
        assertThat(DhtCommand.ttlSeconds("90s")).isEqualTo(90);
        assertThat(DhtCommand.ttlSeconds("10m")).isEqualTo(600);
        assertThat(DhtCommand.ttlSeconds("24h")).isEqualTo(86_400);
        assertThat(DhtCommand.ttlSeconds("2d")).isEqualTo(172_800);
        assertThatThrownBy(() -> DhtCommand.ttlSeconds("1w")).isInstanceOf(IllegalArgumentException.class);
        assertThat(DhtCommand.key("greeting", false).getName()).isEqualTo("greeting");
        assertThat(DhtCommand.key("00".repeat(19) + "FF", true).getRaw().byteAt(19)).isEqualTo((byte) 0xff);
    }

    @Test
    void putMetadataDefaultsToTheFileNameAndAGuessedType(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("notes.txt"), "hi");
        PutCommand put = new PutCommand();
        new CommandLine(put).parseArgs(file.toString(), "--tag", "a,b", "--tag", "c");
        assertThat(put.metadata().getName()).isEqualTo("notes.txt");
        assertThat(put.metadata().getMediaType()).isEqualTo("text/plain");
        assertThat(put.metadata().getTagsList()).containsExactly("a", "b", "c");
        new CommandLine(put).parseArgs(file.toString(), "--name", "N", "--type", "x/y");
        assertThat(put.metadata().getName()).isEqualTo("N");
        assertThat(put.metadata().getMediaType()).isEqualTo("x/y");
    }

    @Test
    void humanFormats() {
        assertThat(Human.bytes(512)).isEqualTo("512 B");
        assertThat(Human.bytes(8 * 1_048_576)).isEqualTo("8.00 MiB");
        assertThat(Human.bytes(262_144)).isEqualTo("256 KiB");
        assertThat(Human.rate(15.4 * 1_048_576)).isEqualTo("15.4 MiB/s");
        assertThat(Human.seconds(0.4234)).isEqualTo("0.42 s");
        assertThat(Human.seconds(125)).isEqualTo("2m 05s");
        assertThat(Human.ago(1_000, 4_000)).isEqualTo("3s ago");
        assertThat(Human.ago(0, 4_000)).isEqualTo("never");
    }

    @Test
    void progressBarLine() {
        assertThat(ProgressBar.render("get", 3 * 1_048_576, 8 * 1_048_576, 12.4 * 1_048_576, 2, 12, 32))
                .isEqualTo("get [####>-------]  37%  3.00/8.00 MiB  12.4 MiB/s  2 peers  12/32 pieces");
        assertThat(ProgressBar.render("put", 10, 10, 0, -1, -1, -1))
                .isEqualTo("put [############] 100%  10/10 B  0 B/s");
        assertThat(ProgressBar.render("get", 900_000, 2 * 1_048_576, 0, 1, 3, 8))
                .isEqualTo("get [#####>------]  42%  879 KiB/2.00 MiB  0 B/s  1 peer  3/8 pieces");
        // 7.3 GiB, 30,000 pieces: still within 80 columns
        assertThat(ProgressBar.render("get", 7_000_000_000L, 7_864_320_000L, 123.4 * 1_048_576, 12, 26_703, 30_000))
                .hasSizeLessThan(80);
    }

    @Test
    void barShowsPiecesVerifiedAheadOfBytesReceivedAndFitsTheTerminal() {
        java.io.StringWriter text = new java.io.StringWriter();
        long[] clock = {0};
        ProgressBar bar = new ProgressBar(new java.io.PrintWriter(text), "get", 1000, () -> clock[0] += 200_000_000L,
                true, 40);
        bar.downloaded(600, 1200, 2, 5, 10); // half of the wanted pieces verified, nothing streamed yet
        assertThat(text.toString()).startsWith("\rget [######>-----]  50%  500/1000 B").hasSize(40); // "\r" + 39
        bar.update(800);
        assertThat(text.toString()).contains("\rget [#########>--]  80%  800/1000 B");
        bar.finish();
        assertThat(text.toString()).endsWith("\r" + " ".repeat(39) + "\r");
        java.io.StringWriter none = new java.io.StringWriter();
        ProgressBar disabled = new ProgressBar(new java.io.PrintWriter(none), "get", 1000, () -> clock[0] += 200_000_000L,
                false, 80);
        disabled.update(10);
        disabled.finish();
        assertThat(none.toString()).isEmpty();
    }

    private static void assertUsage(CliHarness.Run run, String... messages) {
        assertThat(run.exitCode()).as("%s", run).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err()).as("%s", run).contains(messages).contains("--help' for more information")
                .doesNotContain("Exception", "\tat ");
    }

    private static String[] concat(List<String> head, String tail) {
        String[] all = head.toArray(new String[head.size() + 1]);
        all[head.size()] = tail;
        return all;
    }
}
