package dev.p2psuite.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * STUN clients nobody here wrote, against the running service: coturn's {@code turnutils_stunclient} (RFC 5389)
 * and Debian's {@code stun} (RFC 3489, no magic cookie). Needs the Debian packages {@code coturn} and
 * {@code stun-client}: without them the tests fail when the environment variable CI is set, and are skipped
 * otherwise.
 */
@QuarkusTest
class StunInteropTest {

    static final String INSTALL_HINT = "install with: apt-get update && apt-get install -y coturn stun-client";
    /** Bound on one client run; both answer in milliseconds on loopback. */
    static final long TOOL_TIMEOUT_S = 20;

    @Inject
    StunServer stun;

    @Test
    void coturnStunclientLearnsItsReflexiveAddress() throws Exception {
        String tool = requireTool("turnutils_stunclient", "coturn");
        long before = stun.bindingSuccesses();

        List<String> lines = run(tool, "-p", Integer.toString(stunPort()), "127.0.0.1");

        // e.g. "0: : IPv4. UDP reflexive addr: 127.0.0.1:41927"; the client picks its source port itself.
        Pattern reflexive = Pattern.compile("UDP reflexive addr: 127\\.0\\.0\\.1:(\\d+)");
        Optional<Matcher> m = lines.stream().map(reflexive::matcher).filter(Matcher::find).findFirst();
        assertThat(m).as("turnutils_stunclient output:%n%s", String.join("\n", lines)).isPresent();
        int port = Integer.parseInt(m.get().group(1));
        assertThat(port).isBetween(1, 65_535).isNotEqualTo(stunPort());
        assertThat(stun.bindingSuccesses()).as("answered by this service").isGreaterThan(before);
    }

    @Test
    void debianStunClientGetsMappedAddressWithItsOwnSourcePort() throws Exception {
        String tool = requireTool("stun", "stun-client");
        int sourcePort = freeUdpPort();

        // `stun SERVER:PORT 1 -v -p SRC`: RFC 3489 test I (a plain binding request) from source port SRC.
        List<String> lines = run(tool, "127.0.0.1:" + stunPort(), "1", "-v", "-p", Integer.toString(sourcePort));

        String output = String.join("\n", lines);
        assertThat(lines).as("stun output:%n%s", output)
                .anyMatch(l -> l.trim().equals("mappedAddr=127.0.0.1:" + sourcePort))
                .anyMatch(l -> l.trim().equals("ok=1"));
    }

    private int stunPort() {
        return stun.boundAddress().orElseThrow(() -> new AssertionError("STUN is not bound")).getPort();
    }

    /** Runs a client and returns its output lines (stdout and stderr), echoed to the test log. */
    private static List<String> run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(TOOL_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            fail(String.join(" ", command) + " did not finish within " + TOOL_TIMEOUT_S + " s; output:\n"
                    + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        System.out.println("+ " + String.join(" ", command) + " (exit " + p.exitValue() + ")\n" + output);
        return new ArrayList<>(output.lines().toList());
    }

    /** The tool's path; if missing, fails under CI and skips elsewhere. */
    static String requireTool(String name, String debianPackage) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/sbin:/usr/local/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        String message = "'" + name + "' (Debian package " + debianPackage + ") is not installed; " + INSTALL_HINT;
        if (System.getenv("CI") != null) {
            fail(message + " (the CI environment variable is set, so interop tests are required)");
        }
        Assumptions.abort(message);
        return null;
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return s.getLocalPort();
        }
    }
}
