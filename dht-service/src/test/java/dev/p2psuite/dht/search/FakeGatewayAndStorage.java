package dev.p2psuite.dht.search;

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
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What dht-service needs around it in a @QuarkusTest: a fresh data directory with the node's key, a gateway that
 * hands over the node's record (GatewayInternal/SelfRecord), and a storage-service listing one complete content.
 * Ports are ephemeral; the DHT runs standalone.
 */
public class FakeGatewayAndStorage implements QuarkusTestResourceLifecycleManager {

    static volatile NodeKey key;
    static volatile SignedPeerRecord record;
    static volatile IndexedContent held;

    private Path dir;
    private Server gateway;
    private FakeStorage storage;

    @Override
    public Map<String, String> start() {
        try {
            Files.createDirectories(Path.of("target"));
            dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "search-test-");
            key = NodeKeyStore.loadOrCreate(dir, new SecureRandom());
            record = SignedPeerRecord.sign(key, System.currentTimeMillis(), List.of(Candidate.host("127.0.0.1", 1)));
            gateway = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(new GatewayInternalGrpc.GatewayInternalImplBase() {
                        @Override
                        public void selfRecord(SelfRecordRequest request, StreamObserver<SelfRecordResponse> responses) {
                            responses.onNext(SelfRecordResponse.newBuilder().setRecord(PeerRecords.toProto(record)).build());
                            responses.onCompleted();
                        }
                    })
                    .build().start();
            storage = new FakeStorage(0);
            held = SearchPeerGrpcTest.content("Big Buck Bunny.mp4", "video/mp4", "animation");
            storage.contents.add(FakeStorage.summary(held, true));
            storage.contents.add(FakeStorage.summary(SearchPeerGrpcTest.content("Partial Bunny.mp4", "video/mp4"), false));
            return Map.of(
                    "p2p.data-dir", dir.toString(),
                    "p2p.dht.gateway-address", "127.0.0.1:" + gateway.getPort(),
                    "p2p.dht.storage-address", storage.address(),
                    "p2p.dht.standalone", "true",
                    "p2p.dht.search.index-refresh-interval", "1s");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (gateway != null) {
            gateway.shutdownNow();
        }
        if (storage != null) {
            storage.close();
        }
        if (dir != null) {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (Exception e) {
                // best effort: target/ is cleaned by the build
            }
        }
    }
}
