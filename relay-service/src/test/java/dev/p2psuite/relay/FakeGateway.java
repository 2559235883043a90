package dev.p2psuite.relay;

import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.NodeKeyStore;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.gateway.v1.GatewayInternalGrpc;
import dev.p2psuite.proto.gateway.v1.SelfRecordRequest;
import dev.p2psuite.proto.gateway.v1.SelfRecordResponse;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Stands in for the node's gateway for every relay-service test (global resource): answers
 * {@code GatewayInternal/SelfRecord} with the record of a node reachable at {@value #PUBLIC_HOST}:{@value #PUBLIC_PORT},
 * and gives the service a fresh data directory. Bound to 127.0.0.1 on a free port.
 */
@QuarkusTestResource(FakeGateway.class)
public class FakeGateway implements QuarkusTestResourceLifecycleManager {

    static final String PUBLIC_HOST = "198.51.100.10";
    static final int PUBLIC_PORT = 7000;

    private Path dataDir;
    private Server server;

    @Override
    public Map<String, String> start() {
        try {
            Files.createDirectories(Path.of("target"));
            dataDir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "relay-test-data-");
            NodeKey key = NodeKeyStore.loadOrCreate(dataDir, new SecureRandom()); // the node's key, as the gateway's
            SignedPeerRecord record = SignedPeerRecord.sign(key, 1, List.of(
                    Candidate.host("10.9.8.7", PUBLIC_PORT), // a LAN address first: the public one must be chosen
                    Candidate.host(PUBLIC_HOST, PUBLIC_PORT)));
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(new GatewayInternalGrpc.GatewayInternalImplBase() {
                        @Override
                        public void selfRecord(SelfRecordRequest request, StreamObserver<SelfRecordResponse> out) {
                            out.onNext(SelfRecordResponse.newBuilder().setRecord(PeerRecords.toProto(record)).build());
                            out.onCompleted();
                        }
                    })
                    .build()
                    .start();
            return Map.of(
                    "p2p.data-dir", dataDir.toString(),
                    "p2p.relay.gateway-address", "127.0.0.1:" + server.getPort(),
                    "test.relay.record", Base64.getEncoder().encodeToString(PeerRecords.toProto(record).toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.shutdownNow();
        }
        if (dataDir != null && Files.exists(dataDir)) {
            try (Stream<Path> paths = Files.walk(dataDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // best effort
            }
        }
    }
}
