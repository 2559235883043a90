package dev.p2psuite.systemtest;

import dev.p2psuite.grpc.GrpcChannels;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A local network started with the repository's own {@code ./p2p} script, as a user would, in a run
 * directory and port range of its own so it cannot collide with a network a developer has running.
 */
final class LocalNetwork implements AutoCloseable {

    static final List<String> SERVICES = List.of("gateway", "dht-service", "storage-service", "relay-service");

    final int nodes;
    final int basePort;
    final Path repo;
    final Path runDir;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    LocalNetwork(int nodes, int basePort) {
        this(nodes, basePort, "p2p-run");
    }

    /** A network whose state and logs live in {@code target/<runDirName>}. */
    LocalNetwork(int nodes, int basePort, String runDirName) {
        this.nodes = nodes;
        this.basePort = basePort;
        this.repo = Path.of("..").toAbsolutePath().normalize();
        this.runDir = Path.of("target", runDirName).toAbsolutePath();
    }

    /** gRPC port of a node's service, as {@code ./p2p} lays them out. */
    int port(int node, String service) {
        return basePort + 10 * (node - 1) + SERVICES.indexOf(service);
    }

    /** HTTP port (health, metrics) of a node's service: its gRPC port + 5. */
    int httpPort(int node, String service) {
        return port(node, service) + 5;
    }

    ManagedChannel channel(int node, String service) {
        return channels.computeIfAbsent(node + "/" + service,
                k -> GrpcChannels.open("127.0.0.1:" + port(node, service)));
    }

    /** Runs {@code ./p2p args...}; returns its exit code and combined output. */
    Result p2p(String... args) throws IOException, InterruptedException {
        return p2p(Map.of(), args);
    }

    /**
     * Runs {@code ./p2p args...} with {@code env} added to its environment (settings every started service inherits,
     * or one node's through {@code P2P_NODE_ENV_<n>}); returns its exit code and combined output.
     */
    Result p2p(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(repo.resolve("p2p").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(repo.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("P2P_RUN_DIR", runDir.toString());
        pb.environment().put("P2P_BASE_PORT", Integer.toString(basePort));
        Process process = pb.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("./p2p " + String.join(" ", args) + " did not finish:\n" + output);
        }
        return new Result(process.exitValue(), output);
    }

    record Result(int exitCode, String output) {
    }

    @Override
    public void close() throws Exception {
        channels.values().forEach(GrpcChannels::close);
        channels.clear();
        p2p("down");
    }
}
