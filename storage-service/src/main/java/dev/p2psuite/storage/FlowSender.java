package dev.p2psuite.storage;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Streams a server response produced one message at a time by blocking code, respecting gRPC flow control: the
 * next message is produced (on the I/O pool) while the previous one is on the wire, and is sent only while the
 * call {@code isReady()}; otherwise sending resumes from the call's on-ready handler. So a slow reader makes the
 * server hold at most one produced message per call, never the whole content. A message may ask to be sent only
 * after a delay (upload rate limit) without holding an I/O thread.
 */
final class FlowSender<T> {

    /** Produces the stream's messages on an I/O thread. */
    interface Source<T> {
        /** The next message, or null when the stream is complete. May block; may throw to end the call. */
        Next<T> next() throws Exception;

        /** The call ended (completed, failed or cancelled); release resources. Runs on the call's executor. */
        default void closed() {
        }
    }

    /**
     * A message and how long to wait before sending it (0 = now); or no message yet, and a future after which to ask
     * the source again (e.g. a piece still being downloaded).
     */
    record Next<T>(T message, long delayNanos, java.util.concurrent.CompletionStage<?> retryAfter) {
        static <T> Next<T> now(T message) {
            return new Next<>(message, 0, null);
        }

        static <T> Next<T> delayed(T message, long delayNanos) {
            return new Next<>(message, delayNanos, null);
        }

        static <T> Next<T> waitFor(java.util.concurrent.CompletionStage<?> event) {
            return new Next<>(null, 0, event);
        }
    }

    private final ServerCallStreamObserver<T> call;
    private final Executor callExecutor;
    private final Executor io;
    private final ScheduledExecutorService timer;
    private final Source<T> source;
    // Touched only on callExecutor.
    private T buffered;
    private boolean producing;
    private boolean ended;
    private boolean done;

    private FlowSender(ServerCallStreamObserver<T> call, Executor callExecutor, Executor io,
                       ScheduledExecutorService timer, Source<T> source) {
        this.call = call;
        this.callExecutor = callExecutor;
        this.io = io;
        this.timer = timer;
        this.source = source;
    }

    /**
     * Installs the handlers (must run inside the service method, before it returns) and starts producing.
     */
    static <T> void start(ServerCallStreamObserver<T> call, Executor callExecutor, Executor io,
                          ScheduledExecutorService timer, Source<T> source) {
        FlowSender<T> sender = new FlowSender<>(call, callExecutor, io, timer, source);
        call.setOnReadyHandler(() -> callExecutor.execute(sender::pump));
        call.setOnCancelHandler(() -> callExecutor.execute(sender::cancelled));
        callExecutor.execute(sender::pump);
    }

    private void pump() {
        while (!done && call.isReady()) {
            if (buffered != null) {
                T m = buffered;
                buffered = null;
                call.onNext(m);
                continue;
            }
            if (ended) {
                finish(null);
                return;
            }
            break;
        }
        if (!done && buffered == null && !ended && !producing) {
            producing = true;
            io.execute(this::produce);
        }
    }

    private void produce() {
        Next<T> next;
        try {
            next = source.next();
        } catch (Throwable e) {
            callExecutor.execute(() -> {
                producing = false;
                finish(e);
            });
            return;
        }
        if (next != null && next.retryAfter() != null) {
            next.retryAfter().whenComplete((v, e) -> {
                if (e != null) {
                    callExecutor.execute(() -> {
                        producing = false;
                        finish(e);
                    });
                } else {
                    io.execute(this::produce);
                }
            });
            return;
        }
        Runnable deliver = () -> {
            producing = false;
            if (next == null) {
                ended = true;
            } else {
                buffered = next.message();
            }
            pump();
        };
        if (next != null && next.delayNanos() > 0) {
            timer.schedule(() -> callExecutor.execute(deliver), next.delayNanos(), TimeUnit.NANOSECONDS);
        } else {
            callExecutor.execute(deliver);
        }
    }

    private void cancelled() {
        if (!done) {
            done = true;
            buffered = null;
            source.closed();
        }
    }

    private void finish(Throwable failure) {
        if (done) {
            return;
        }
        done = true;
        buffered = null;
        try {
            if (failure == null) {
                call.onCompleted();
            } else {
                call.onError(StorageStatus.exception(failure));
            }
        } finally {
            source.closed();
        }
    }
}
