package dev.p2psuite.gateway;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.proto.gateway.v1.NodeApiGrpc;
import dev.p2psuite.proto.gateway.v1.NodeInfoRequest;
import dev.p2psuite.proto.gateway.v1.NodeInfoResponse;
import dev.p2psuite.proto.gateway.v1.ServiceState;
import dev.p2psuite.proto.gateway.v1.ServiceStatus;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The client API (node_api.proto). NodeInfo is served here; every other RPC answers UNIMPLEMENTED until its
 * capability lands (content: issue 4, DHT values and peers: issue 3, the rest of the API: issue 6).
 */
@GrpcService
public class NodeApiGrpcService extends NodeApiGrpc.NodeApiImplBase {

    private final NodeIdentity identity;
    private final InternalServices services;
    private final GatewayConfig config;
    private final String version;
    private final long startedUnixMs = System.currentTimeMillis();

    NodeApiGrpcService(NodeIdentity identity, InternalServices services, GatewayConfig config,
                       @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev") String version) {
        this.identity = identity;
        this.services = services;
        this.config = config;
        this.version = version;
    }

    @Override
    @Blocking // probes the node's services
    public void nodeInfo(NodeInfoRequest request, StreamObserver<NodeInfoResponse> responses) {
        NodeInfoResponse.Builder info = NodeInfoResponse.newBuilder()
                .setNodeId(identity.key().nodeId().toHex())
                .setPublicKey(ByteString.copyFrom(identity.key().publicKey()))
                .setRecord(PeerRecords.toProto(identity.record()))
                .setVersion(version)
                .setStartedUnixMs(startedUnixMs)
                .addServices(ServiceStatus.newBuilder().setName("gateway").setState(ServiceState.SERVICE_STATE_SERVING));
        Map<String, String> addresses = Map.of(
                "dht-service", config.gateway().dhtAddress(),
                "storage-service", config.gateway().storageAddress(),
                "relay-service", config.gateway().relayAddress());
        boolean ready = true;
        for (Map.Entry<String, ManagedChannel> e : new TreeMap<>(services.all()).entrySet()) {
            String probe = InternalServicesReadiness.probe(e.getValue());
            ServiceState state = switch (probe) {
                case "SERVING" -> ServiceState.SERVICE_STATE_SERVING;
                case "NOT_SERVING" -> ServiceState.SERVICE_STATE_NOT_SERVING;
                default -> ServiceState.SERVICE_STATE_UNREACHABLE;
            };
            ready &= state == ServiceState.SERVICE_STATE_SERVING;
            info.addServices(ServiceStatus.newBuilder().setName(e.getKey()).setState(state)
                    .setAddress(addresses.get(e.getKey())).setDetail(state == ServiceState.SERVICE_STATE_SERVING ? "" : probe));
        }
        responses.onNext(info.setReady(ready).build());
        responses.onCompleted();
    }
}
