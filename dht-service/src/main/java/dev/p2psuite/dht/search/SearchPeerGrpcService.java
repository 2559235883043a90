package dev.p2psuite.dht.search;

import dev.p2psuite.dht.core.DhtRejection;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.search.v1.QueryRequest;
import dev.p2psuite.proto.search.v1.QueryResponse;
import dev.p2psuite.proto.search.v1.SearchPeerGrpc;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Node-to-node flood search (search_peer.proto), reached through the node's gateway, which authenticated the
 * caller ({@code p2p-peer-id}). The call's deadline is the caller's, as the gateway propagates it.
 */
@GrpcService
public class SearchPeerGrpcService implements BindableService {

    private final SearchRuntime runtime;

    public SearchPeerGrpcService(SearchRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public ServerServiceDefinition bindService() {
        return SearchPeerGrpc.bindService(new Handlers(runtime, InstantSource.system()));
    }

    /** The handler, usable without CDI (tests and benchmarks serve it from plain grpc-java servers). */
    public static final class Handlers implements SearchPeerGrpc.AsyncService {
        private final RunningSearch search;
        private final InstantSource clock;

        public Handlers(RunningSearch search, InstantSource clock) {
            this.search = search;
            this.clock = clock;
        }

        @Override
        public void query(QueryRequest request, StreamObserver<QueryResponse> responses) {
            ServerCallStreamObserver<QueryResponse> call = (ServerCallStreamObserver<QueryResponse>) responses;
            AtomicReference<FloodSearch.Handle> handle = new AtomicReference<>();
            AtomicBoolean closed = new AtomicBoolean();
            call.setOnCancelHandler(() -> {
                closed.set(true);
                FloodSearch.Handle h = handle.get();
                if (h != null) {
                    h.cancel();
                }
            });
            FloodSearch engine;
            try {
                engine = search.require();
            } catch (StatusRuntimeException e) {
                call.onError(e);
                return;
            }
            NodeId caller = PeerMetadata.AUTHENTICATED_PEER.get();
            if (caller == null) { // the interceptor refuses such calls; this would be a wiring bug
                call.onError(Status.UNAUTHENTICATED.withDescription("peer RPCs reach this service only through the"
                        + " node's gateway, which authenticates the caller").asRuntimeException());
                return;
            }
            Sink sink = new Sink(call, closed);
            SignedPeerRecord origin = null;
            if (request.hasOrigin()) {
                try {
                    origin = PeerRecords.fromProto(request.getOrigin(), "origin");
                } catch (IllegalArgumentException e) {
                    sink.failed(engine.invalidQuery(e.getMessage()));
                    return;
                }
            }
            Deadline deadline = Context.current().getDeadline();
            long deadlineUnixMs = deadline == null ? 0
                    : clock.millis() + Math.max(0, deadline.timeRemaining(TimeUnit.MILLISECONDS));
            handle.set(engine.onQuery(caller, request.getQueryId().toByteArray(), Integer.toUnsignedLong(request.getTtl()),
                    Integer.toUnsignedLong(request.getHops()), request.getTermsList(),
                    Integer.toUnsignedLong(request.getMaxHits()), origin, deadlineUnixMs, sink));
            if (closed.get()) {
                handle.get().cancel();
            }
        }
    }

    /** Hits to the caller's stream, at most 20 per message (the engine batches them so). */
    private record Sink(ServerCallStreamObserver<QueryResponse> call, AtomicBoolean closed) implements HitSink {
        @Override
        public void hits(List<Hit> hits) {
            if (closed.get()) {
                throw new IllegalStateException("the caller cancelled");
            }
            QueryResponse.Builder b = QueryResponse.newBuilder();
            for (Hit h : hits) {
                b.addHits(SearchWire.toProto(h));
            }
            call.onNext(b.build());
        }

        @Override
        public void completed() {
            if (closed.compareAndSet(false, true)) {
                call.onCompleted();
            }
        }

        @Override
        public void failed(DhtRejection rejection) {
            if (closed.compareAndSet(false, true)) {
                call.onError(SearchStatus.of(rejection).asRuntimeException());
            }
        }
    }
}
