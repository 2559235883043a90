package dev.p2psuite.dht.search;

import dev.p2psuite.dht.GrpcPeerRpc;
import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.grpc.GrpcStatuses;
import dev.p2psuite.identity.AuthenticationException;
import dev.p2psuite.proto.search.v1.QueryResponse;
import dev.p2psuite.proto.search.v1.SearchPeerGrpc;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;

/** SearchPeer.Query to neighbours over the node's peer connections ({@link GrpcPeerRpc}: one channel and session each). */
public final class GrpcSearchRpc implements SearchRpc {

    private final GrpcPeerRpc peers;
    private final InstantSource clock;

    public GrpcSearchRpc(GrpcPeerRpc peers, InstantSource clock) {
        this.peers = peers;
        this.clock = clock;
    }

    @Override
    public Call query(Contact neighbour, Query query, long deadlineUnixMs, Listener listener) {
        long remaining = Math.max(1, deadlineUnixMs - clock.millis());
        Runnable cancel = peers.serverStreaming(neighbour, SearchPeerGrpc.getQueryMethod(), SearchWire.toProto(query),
                Deadline.after(remaining, TimeUnit.MILLISECONDS), new StreamObserver<QueryResponse>() {
                    @Override
                    public void onNext(QueryResponse response) {
                        listener.onHits(SearchWire.fromProto(response.getHitsList()));
                    }

                    @Override
                    public void onError(Throwable t) {
                        listener.onEnd(classify(neighbour, t));
                    }

                    @Override
                    public void onCompleted() {
                        listener.onEnd(null);
                    }
                });
        return cancel::run;
    }

    /** Unreachable (connection refused, handshake failed, not the node dialed) makes the engine replace the neighbour. */
    private static Throwable classify(Contact neighbour, Throwable failure) {
        Throwable e = GrpcStatuses.unwrap(failure);
        if (e instanceof AuthenticationException) {
            return new Unreachable(neighbour + ": " + e.getMessage());
        }
        if (e instanceof StatusRuntimeException s) {
            Status.Code code = s.getStatus().getCode();
            if (code == Status.Code.UNAVAILABLE || code == Status.Code.UNAUTHENTICATED) {
                return new Unreachable(neighbour + ": " + s.getStatus());
            }
        }
        return e;
    }
}
