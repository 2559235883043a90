package dev.p2psuite.relay;

import dev.p2psuite.proto.relay.v1.IncomingCircuit;
import dev.p2psuite.proto.relay.v1.ListenRequest;
import dev.p2psuite.proto.relay.v1.ListenResponse;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A reserving node's Listen stream, collecting its events. */
final class ListenStream implements StreamObserver<ListenResponse> {

    final BlockingQueue<ListenResponse> events = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    private final Context.CancellableContext context = Context.current().withCancellation();

    static ListenStream start(RelayPeerGrpc.RelayPeerStub stub) {
        ListenStream s = new ListenStream();
        s.context.run(() -> stub.listen(ListenRequest.getDefaultInstance(), s));
        return s;
    }

    /** The first event, which the relay sends at once (a heartbeat): the stream is registered. */
    ListenResponse awaitFirst() throws InterruptedException {
        ListenResponse first = events.poll(10, TimeUnit.SECONDS);
        if (first == null) {
            throw new AssertionError("no first Listen event; stream closed with " + closed.getNow(null));
        }
        return first;
    }

    /** The first event; if the stream ends first, its status as a StatusRuntimeException. */
    ListenResponse awaitFirstOrFail() {
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < deadline) {
                ListenResponse e = events.poll(50, TimeUnit.MILLISECONDS);
                if (e != null) {
                    return e;
                }
                if (closed.isDone()) {
                    throw closed.get().asRuntimeException();
                }
            }
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("no Listen event and no end within 10 s");
    }

    /** The next announced circuit, skipping heartbeats. */
    IncomingCircuit nextIncoming(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            ListenResponse e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new AssertionError("no incoming circuit within " + timeout);
            }
            if (e.hasIncoming()) {
                return e.getIncoming();
            }
        }
    }

    void cancel() {
        context.cancel(null);
    }

    @Override
    public void onNext(ListenResponse value) {
        events.add(value);
    }

    @Override
    public void onError(Throwable t) {
        closed.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
        closed.complete(Status.OK);
    }
}
