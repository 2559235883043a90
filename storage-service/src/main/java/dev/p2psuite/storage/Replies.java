package dev.p2psuite.storage;

import dev.p2psuite.grpc.CallThread;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** Unary answers computed on the I/O pool and delivered on the call's own executor. */
final class Replies {

    private Replies() {
    }

    static <R> void unary(StreamObserver<R> responses, Executor io, Callable<R> work) {
        Executor call = CallThread.current(io);
        try {
            io.execute(() -> {
                R result;
                try {
                    result = work.call();
                } catch (Throwable e) {
                    call.execute(() -> responses.onError(StorageStatus.exception(e)));
                    return;
                }
                call.execute(() -> {
                    responses.onNext(result);
                    responses.onCompleted();
                });
            });
        } catch (RejectedExecutionException e) {
            responses.onError(StorageStatus.exception(e));
        }
    }
}
