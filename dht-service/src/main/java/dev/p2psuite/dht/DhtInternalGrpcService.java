package dev.p2psuite.dht;

import static dev.p2psuite.dht.DhtStatus.guard;
import static dev.p2psuite.dht.DhtStatus.reply;

import com.google.protobuf.ByteString;
import dev.p2psuite.dht.core.DhtStats;
import dev.p2psuite.dht.core.RoutingTable;
import dev.p2psuite.dht.core.ValueRecord;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.dht.v1.Bucket;
import dev.p2psuite.proto.dht.v1.ContactRoute;
import dev.p2psuite.proto.dht.v1.ClosestNodesRequest;
import dev.p2psuite.proto.dht.v1.ClosestNodesResponse;
import dev.p2psuite.proto.dht.v1.DhtInternalGrpc;
import dev.p2psuite.proto.dht.v1.FindProvidersRequest;
import dev.p2psuite.proto.dht.v1.FindProvidersResponse;
import dev.p2psuite.proto.dht.v1.GetValueRequest;
import dev.p2psuite.proto.dht.v1.GetValueResponse;
import dev.p2psuite.proto.dht.v1.ProvideRequest;
import dev.p2psuite.proto.dht.v1.ProvideResponse;
import dev.p2psuite.proto.dht.v1.PutValueRequest;
import dev.p2psuite.proto.dht.v1.PutValueResponse;
import dev.p2psuite.proto.dht.v1.RoutingTableRequest;
import dev.p2psuite.proto.dht.v1.RoutingTableResponse;
import dev.p2psuite.proto.dht.v1.StatsRequest;
import dev.p2psuite.proto.dht.v1.StatsResponse;
import dev.p2psuite.proto.dht.v1.UnprovideRequest;
import dev.p2psuite.proto.dht.v1.UnprovideResponse;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import java.time.Duration;

/** What the node's gateway asks of its DHT (dht_internal.proto). */
@GrpcService
public class DhtInternalGrpcService implements BindableService {

    /** Most contacts ClosestNodes returns. */
    static final int MAX_CLOSEST = 100;

    private final DhtRuntime runtime;

    DhtInternalGrpcService(DhtRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public ServerServiceDefinition bindService() {
        return DhtInternalGrpc.bindService(new DhtInternalGrpc.AsyncService() {
            @Override
            public void putValue(PutValueRequest request, StreamObserver<PutValueResponse> responses) {
                guard(responses, () -> {
                    NodeId key = PeerRecords.nodeId(request.getKey(), "key");
                    reply(responses, runtime.require().put(key, request.getValue().toByteArray(),
                                    Duration.ofSeconds(request.getTtlSeconds())),
                            put -> PutValueResponse.newBuilder().setRecord(DhtWire.toProto(put.record()))
                                    .setStoredCount(put.storedCount()).build());
                });
            }

            @Override
            public void getValue(GetValueRequest request, StreamObserver<GetValueResponse> responses) {
                guard(responses, () -> {
                    NodeId key = PeerRecords.nodeId(request.getKey(), "key");
                    reply(responses, runtime.require().get(key), got -> {
                        if (!got.found()) {
                            throw Status.NOT_FOUND.withDescription("no value under key " + key.toHex() + " (asked "
                                    + got.peersQueried() + " peers)").asRuntimeException();
                        }
                        ValueRecord record = got.record();
                        return GetValueResponse.newBuilder().setRecord(DhtWire.toProto(record)).setLocal(got.local())
                                .setPeersQueried(got.peersQueried()).build();
                    });
                });
            }

            @Override
            public void provide(ProvideRequest request, StreamObserver<ProvideResponse> responses) {
                guard(responses, () -> {
                    NodeId key = PeerRecords.nodeId(request.getKey(), "key");
                    reply(responses, runtime.require().provide(key),
                            count -> ProvideResponse.newBuilder().setAnnouncedCount(count).build());
                });
            }

            @Override
            public void unprovide(UnprovideRequest request, StreamObserver<UnprovideResponse> responses) {
                guard(responses, () -> {
                    NodeId key = PeerRecords.nodeId(request.getKey(), "key");
                    reply(responses, runtime.require().unprovide(key),
                            was -> UnprovideResponse.newBuilder().setWasProviding(was).build());
                });
            }

            @Override
            public void findProviders(FindProvidersRequest request, StreamObserver<FindProvidersResponse> responses) {
                guard(responses, () -> {
                    NodeId key = PeerRecords.nodeId(request.getKey(), "key");
                    reply(responses, runtime.require().findProviders(key, request.getLimit()),
                            found -> FindProvidersResponse.newBuilder()
                                    .addAllProviders(DhtWire.toProto(found.providers()))
                                    .setSelfProvides(found.selfProvides()).build());
                });
            }

            @Override
            public void closestNodes(ClosestNodesRequest request, StreamObserver<ClosestNodesResponse> responses) {
                guard(responses, () -> {
                    NodeId target = PeerRecords.nodeId(request.getTarget(), "target");
                    int count = request.getCount() == 0 ? 20 : request.getCount();
                    if (count > MAX_CLOSEST) {
                        throw new IllegalArgumentException("count must be 0.." + MAX_CLOSEST + ", got " + count);
                    }
                    reply(responses, runtime.require().closestNodes(target, count, request.getLocalOnly()),
                            peers -> ClosestNodesResponse.newBuilder().addAllPeers(DhtWire.toProto(peers)).build());
                });
            }

            @Override
            public void routingTable(RoutingTableRequest request, StreamObserver<RoutingTableResponse> responses) {
                guard(responses, () -> reply(responses,
                        runtime.require().routingTable(request.getIncludeReplacements()), buckets -> {
                            RoutingTableResponse.Builder table = RoutingTableResponse.newBuilder()
                                    .setSelfId(ByteString.copyFrom(runtime.require().id().bytes()));
                            int size = 0;
                            for (RoutingTable.BucketSnapshot b : buckets) {
                                if (b.contacts().isEmpty() && b.replacementCount() == 0) {
                                    continue;
                                }
                                Bucket.Builder bucket = Bucket.newBuilder().setIndex(b.index())
                                        .setReplacementCount(b.replacementCount())
                                        .setLastRefreshedUnixMs(b.lastTouchedUnixMs());
                                for (RoutingTable.Entry e : b.contacts()) {
                                    bucket.addContacts(dev.p2psuite.proto.common.v1.Contact.newBuilder()
                                            .setRecord(PeerRecords.toProto(e.contact().record()))
                                            .setLastSeenUnixMs(e.lastSeenUnixMs()).setFailedRequests(e.failures()));
                                }
                                b.replacements().forEach(c -> bucket.addReplacements(dev.p2psuite.proto.common.v1.Contact
                                        .newBuilder().setRecord(PeerRecords.toProto(c.record()))));
                                size += b.contacts().size();
                                table.addBuckets(bucket);
                            }
                            runtime.routeKinds().forEach((id, kind) -> table.putRoutes(id.toHex(),
                                    switch (kind) {
                                        case DIRECT -> ContactRoute.CONTACT_ROUTE_DIRECT;
                                        case HOLE_PUNCHED -> ContactRoute.CONTACT_ROUTE_HOLE_PUNCHED;
                                        case RELAYED -> ContactRoute.CONTACT_ROUTE_RELAYED;
                                    }));
                            return table.setSize(size).build();
                        }));
            }

            @Override
            public void stats(StatsRequest request, StreamObserver<StatsResponse> responses) {
                guard(responses, () -> reply(responses, runtime.require().detailedStats(), DhtInternalGrpcService::toProto));
            }
        });
    }

    static StatsResponse toProto(DhtStats s) {
        return StatsResponse.newBuilder()
                .setBootstrapState(dev.p2psuite.proto.dht.v1.BootstrapState.valueOf("BOOTSTRAP_STATE_" + s.bootstrapState().name()))
                .setReady(s.ready())
                .setRoutingTableSize(s.routingTableSize())
                .setBucketsUsed(s.bucketsUsed())
                .setRecordsStored(s.recordsStored())
                .setProviderRecordsStored(s.providerRecordsStored())
                .setKeysProvided(s.keysProvided())
                .setLookupsStarted(s.lookupsStarted())
                .setLookupsSucceeded(s.lookupsSucceeded())
                .setRpcsSent(s.rpcsSent())
                .setRpcsFailed(s.rpcsFailed())
                .setRpcsReceived(s.rpcsReceived())
                .setRecordsRejected(s.recordsRejected())
                .setPexSent(s.pexSent())
                .setPexReceived(s.pexReceived())
                .setPexRecordsDropped(s.pexRecordsDropped())
                .setStartedUnixMs(s.startedUnixMs())
                .build();
    }
}
