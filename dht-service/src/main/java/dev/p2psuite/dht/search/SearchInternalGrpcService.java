package dev.p2psuite.dht.search;

import dev.p2psuite.dht.core.DhtRejection;
import dev.p2psuite.proto.search.v1.SearchInternalGrpc;
import dev.p2psuite.proto.search.v1.SearchRequest;
import dev.p2psuite.proto.search.v1.SearchResponse;
import dev.p2psuite.proto.search.v1.StatsRequest;
import dev.p2psuite.proto.search.v1.StatsResponse;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** The search API for the node's own gateway (search_internal.proto): originate a flooded query, read counters. */
@GrpcService
public class SearchInternalGrpcService implements BindableService {

    /** A search waits at most this long for the index to be reloaded from storage before it starts. */
    static final long INDEX_REFRESH_WAIT_MS = 1_000;
    /** Stats waits at most this long for the neighbour set to be re-checked. */
    static final long STATS_NEIGHBOUR_WAIT_MS = 1_000;

    private final SearchRuntime runtime;

    public SearchInternalGrpcService(SearchRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public ServerServiceDefinition bindService() {
        return SearchInternalGrpc.bindService(new Handlers(runtime));
    }

    /** The handlers, usable without CDI. */
    public static final class Handlers implements SearchInternalGrpc.AsyncService {
        private final RunningSearch search;

        public Handlers(RunningSearch search) {
            this.search = search;
        }

        @Override
        public void search(SearchRequest request, StreamObserver<SearchResponse> responses) {
            ServerCallStreamObserver<SearchResponse> call = (ServerCallStreamObserver<SearchResponse>) responses;
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
            SearchParams params;
            try {
                engine = search.require();
                params = SearchParams.of(request.getTermsList(), Integer.toUnsignedLong(request.getTtl()),
                        Integer.toUnsignedLong(request.getMaxHits()), Integer.toUnsignedLong(request.getTimeoutMs()),
                        engine.settings().defaultTtl());
            } catch (StatusRuntimeException e) {
                call.onError(e);
                return;
            } catch (DhtRejection e) {
                call.onError(SearchStatus.of(e).asRuntimeException());
                return;
            }
            // Content put a moment ago should be found: reload the index first (bounded; storage may be down).
            search.refreshIndex().copy()
                    .completeOnTimeout(null, Math.min(INDEX_REFRESH_WAIT_MS, params.timeoutMs() / 4), TimeUnit.MILLISECONDS)
                    .whenComplete((ok, failure) -> {
                        if (closed.get()) {
                            return;
                        }
                        handle.set(engine.originate(params, new Sink(call, closed)));
                        if (closed.get()) {
                            handle.get().cancel();
                        }
                    });
        }

        @Override
        public void stats(StatsRequest request, StreamObserver<StatsResponse> responses) {
            FloodSearch engine;
            try {
                engine = search.require();
            } catch (StatusRuntimeException e) { // the DHT is still starting: only the index is known
                responses.onNext(toProto(new SearchStats(search.index().size(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
                responses.onCompleted();
                return;
            }
            // The neighbour set is re-checked first if due, so the count is current even before any search.
            engine.currentNeighbours()
                    .completeOnTimeout(List.of(), STATS_NEIGHBOUR_WAIT_MS, TimeUnit.MILLISECONDS)
                    .whenComplete((n, e) -> {
                        responses.onNext(toProto(engine.stats()));
                        responses.onCompleted();
                    });
        }

        private static StatsResponse toProto(SearchStats s) {
            return StatsResponse.newBuilder()
                    .setIndexedContents(s.indexedContents())
                    .setNeighbours(s.neighbours())
                    .setQueriesOriginated(s.queriesOriginated())
                    .setQueriesReceived(s.queriesReceived())
                    .setQueriesDuplicate(s.queriesDuplicate())
                    .setQueriesForwarded(s.queriesForwarded())
                    .setQueriesRateLimited(s.queriesRateLimited())
                    .setQueriesInvalid(s.queriesInvalid())
                    .setHitsReturned(s.hitsReturned())
                    .setHitsDropped(s.hitsDropped())
                    .build();
        }
    }

    /** One SearchResponse per hit, as the gateway streams them on. */
    private record Sink(ServerCallStreamObserver<SearchResponse> call, AtomicBoolean closed) implements HitSink {
        @Override
        public void hits(List<Hit> hits) {
            if (closed.get()) {
                throw new IllegalStateException("the caller cancelled");
            }
            for (Hit h : hits) {
                call.onNext(SearchResponse.newBuilder().setHit(SearchWire.toProto(h)).build());
            }
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
