package dev.p2psuite.gateway;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.proto.common.v1.Candidate;
import dev.p2psuite.proto.common.v1.PeerRecord;
import dev.p2psuite.proto.common.v1.SignedPeerRecord;
import dev.p2psuite.proto.dht.v1.DhtPeerGrpc;
import dev.p2psuite.proto.dht.v1.PingRequest;
import dev.p2psuite.proto.dht.v1.PingResponse;

import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.util.HexFormat;
import java.util.Map;

/**
 * Stands in for dht-service so a test can see exactly what the gateway forwards: Ping answers with the
 * identity headers it received, packed into the response (node_id = p2p-peer-id, candidate host =
 * p2p-peer-addr, signature = p2p-peer-record-bin). Test scaffolding only.
 */
public class RecordingDhtService implements QuarkusTestResourceLifecycleManager {

    private static final io.grpc.Context.Key<Metadata> HEADERS = io.grpc.Context.key("headers");
    private Server server;

    @Override
    public Map<String, String> start() {
        ServerInterceptor keepHeaders = new ServerInterceptor() {
            @Override
            public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, Metadata headers,
                                                                       io.grpc.ServerCallHandler<Q, R> next) {
                return Contexts.interceptCall(io.grpc.Context.current().withValue(HEADERS, headers), call, headers, next);
            }
        };
        DhtPeerGrpc.DhtPeerImplBase echo = new DhtPeerGrpc.DhtPeerImplBase() {
            @Override
            public void ping(PingRequest request, StreamObserver<PingResponse> responses) {
                Metadata h = HEADERS.get();
                String id = h.get(PeerMetadata.PEER_ID);
                String addr = h.get(PeerMetadata.PEER_ADDRESS);
                byte[] record = h.get(PeerMetadata.PEER_RECORD);
                PeerRecord.Builder seen = PeerRecord.newBuilder();
                if (id != null) {
                    seen.setNodeId(ByteString.copyFrom(HexFormat.of().parseHex(id)));
                }
                if (addr != null) {
                    seen.addCandidates(Candidate.newBuilder().setHost(addr));
                }
                responses.onNext(PingResponse.newBuilder().setResponder(SignedPeerRecord.newBuilder().setRecord(seen)
                        .setSignature(record == null ? ByteString.EMPTY : ByteString.copyFrom(record))).build());
                responses.onCompleted();
            }
        };
        try {
            server = NettyServerBuilder.forPort(0).addService(ServerInterceptors.intercept(echo, keepHeaders)).build().start();
            return Map.of("p2p.gateway.dht-address", "127.0.0.1:" + server.getPort(),
                    "p2p.data-dir", Files.createTempDirectory("gateway-test").toString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
        if (server != null) {
            server.shutdownNow();
        }
    }
}
