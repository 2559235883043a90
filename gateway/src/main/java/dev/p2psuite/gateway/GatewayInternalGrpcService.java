package dev.p2psuite.gateway;

import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.proto.gateway.v1.GatewayInternalGrpc;
import dev.p2psuite.proto.gateway.v1.SelfRecordRequest;
import dev.p2psuite.proto.gateway.v1.SelfRecordResponse;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;

/** Hands the node's signed record to its own services (gateway_internal.proto). */
@GrpcService
public class GatewayInternalGrpcService extends GatewayInternalGrpc.GatewayInternalImplBase {

    private final NodeIdentity identity;

    GatewayInternalGrpcService(NodeIdentity identity) {
        this.identity = identity;
    }

    @Override
    public void selfRecord(SelfRecordRequest request, StreamObserver<SelfRecordResponse> responses) {
        responses.onNext(SelfRecordResponse.newBuilder().setRecord(PeerRecords.toProto(identity.record())).build());
        responses.onCompleted();
    }
}
