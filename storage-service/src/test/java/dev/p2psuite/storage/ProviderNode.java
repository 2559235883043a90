package dev.p2psuite.storage;

import dev.p2psuite.grpc.PeerAuthService;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.grpc.PeerSessionInterceptor;
import dev.p2psuite.grpc.WireLimits;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.NodeKeyStore;
import dev.p2psuite.identity.PeerAuthenticator;
import dev.p2psuite.identity.PeerRecordBook;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.gateway.v1.GatewayInternalGrpc;
import dev.p2psuite.proto.gateway.v1.SelfRecordRequest;
import dev.p2psuite.proto.gateway.v1.SelfRecordResponse;
import dev.p2psuite.proto.storage.v1.PiecePeerGrpc;
import dev.p2psuite.storage.store.MemoryPieceStore;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A second node for Fetch tests, in the test JVM: a plain gRPC server standing in for its gateway (PeerAuth, the
 * session check, and its storage's PiecePeer and StorageInternal behind it), with its own storage runtime over an
 * in-memory store. The same server also answers {@code GatewayInternal/SelfRecord} for the node under test, whose
 * key it creates in the test's data directory, so the service under test authenticates to the provider for real.
 */
public class ProviderNode implements QuarkusTestResourceLifecycleManager {

    private Path dataDir;
    private Path providerDir;
    private Server server;
    private StorageRuntime provider;

    @Override
    public Map<String, String> start() {
        try {
            Files.createDirectories(Path.of("target"));
            dataDir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "test-data-");
            providerDir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "provider-data-");
            SecureRandom random = new SecureRandom();
            NodeKey ours = NodeKeyStore.loadOrCreate(dataDir, random);
            NodeKey theirs = NodeKey.generate(random);

            StorageConfig config = new SmallRyeConfigBuilder()
                    .withMapping(StorageConfig.class)
                    .withConverter(java.time.Duration.class, 200, new io.quarkus.runtime.configuration.DurationConverter())
                    .addDefaultInterceptors()
                    .withSources(new PropertiesConfigSource(Map.of("p2p.data-dir", providerDir.toString(),
                            "p2p.storage.exchange.tick-interval", "200ms"), "provider-node", 500))
                    .build()
                    .getConfigMapping(StorageConfig.class);
            provider = new StorageRuntime(config, new MemoryPieceStore(), new io.micrometer.core.instrument.simple.SimpleMeterRegistry());

            // Bind first to learn the port, which goes into the provider's signed record.
            int port;
            try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
                port = probe.getLocalPort();
            }
            SignedPeerRecord providerRecord = SignedPeerRecord.sign(theirs, 1, List.of(Candidate.host("127.0.0.1", port)));
            SignedPeerRecord ourRecord = SignedPeerRecord.sign(ours, 1, List.of(Candidate.host("127.0.0.1", 1)));
            PeerAuthenticator auth = new PeerAuthenticator(theirs, () -> providerRecord, new PeerRecordBook(100),
                    InstantSource.system(), random);
            PeerSessionInterceptor sessions = new PeerSessionInterceptor(auth, new PeerRecordBook(100),
                    Set.of(PiecePeerGrpc.SERVICE_NAME));
            server = NettyServerBuilder.forPort(port)
                    .maxInboundMessageSize(WireLimits.MAX_MESSAGE_BYTES)
                    .flowControlWindow(WireLimits.FLOW_CONTROL_WINDOW_BYTES)
                    .addService(new PeerAuthService(auth))
                    .addService(ServerInterceptors.intercept(new PiecePeerGrpcService(provider).bindService(), sessions))
                    .addService(new StorageInternalGrpcService(provider).bindService())
                    .addService(new GatewayInternalGrpc.GatewayInternalImplBase() {
                        @Override
                        public void selfRecord(SelfRecordRequest request, StreamObserver<SelfRecordResponse> out) {
                            out.onNext(SelfRecordResponse.newBuilder().setRecord(PeerRecords.toProto(ourRecord)).build());
                            out.onCompleted();
                        }
                    })
                    .build()
                    .start();
            return Map.of(
                    "p2p.data-dir", dataDir.toString(),
                    "p2p.storage.fetch.gateway-address", "127.0.0.1:" + port,
                    "test.provider.address", "127.0.0.1:" + port,
                    "test.provider.record", Base64.getEncoder().encodeToString(
                            PeerRecords.toProto(providerRecord).toByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.shutdownNow();
        }
        if (provider != null) {
            provider.stop();
        }
        TempDataDir.deleteTree(dataDir);
        TempDataDir.deleteTree(providerDir);
    }
}
