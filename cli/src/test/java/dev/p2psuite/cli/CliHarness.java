package dev.p2psuite.cli;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine;

/** Runs the CLI in-process with captured stdout/stderr, a chosen environment and a chosen channel factory. */
final class CliHarness {

    final Map<String, String> env = new HashMap<>();
    final List<Target> targets = new ArrayList<>();
    boolean stderrIsTerminal;
    byte[] stdin = new byte[0];
    Function<Target, ManagedChannel> channels;

    /** Every channel goes to an in-process server of that name. */
    static CliHarness inProcess(String serverName) {
        CliHarness h = new CliHarness();
        h.channels = t -> InProcessChannelBuilder.forName(serverName).directExecutor().build();
        return h;
    }

    /** Real channels (netty) to whatever address the command resolves. */
    static CliHarness real() {
        CliHarness h = new CliHarness();
        h.channels = CliEnvironment::openChannel;
        return h;
    }

    record Run(int exitCode, String out, String err, byte[] stdoutBytes) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        CliEnvironment environment = new CliEnvironment(env, () -> stderrIsTerminal, t -> {
            targets.add(t);
            return channels.apply(t);
        }, new ByteArrayInputStream(stdin), binary, Clock.fixed(Instant.ofEpochMilli(1_700_000_060_000L), ZoneOffset.UTC),
                System::nanoTime);
        CommandLine cl = P2pCli.commandLine(environment);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString(), binary.toByteArray());
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
