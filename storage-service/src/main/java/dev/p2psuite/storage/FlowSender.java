package dev.p2psuite.storage;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Streams a server response produced one message at a time by blocking code, respecting gRPC flow control: the
 * next messages are produced (on the I/O pool, up to {@link #AHEAD} at once) while earlier ones are on the wire, and
 * are sent only while the call {@code isReady()} (up to {@code WireLimits.BULK_ON_READY_THRESHOLD_BYTES} queued in
 * the transport); otherwise sending resumes from the call's on-ready handler. So a slow reader makes the server hold
 * at most {@link #AHEAD} produced messages per call, never the whole content. A message may ask to be sent only
 * after a delay (upload rate limit) without holding an I/O thread.
 */
final class FlowSender<T> {

    /** Produces the stream's messages on an I/O thread. */
    interface Source<T> {
        /** The next message, or null when the stream is complete. May block; may throw to end the call. */
        Next<T> next() throws Exception;

        /**
         * The next message if it can be made at once without blocking (e.g. from a piece in memory), else null and
         * {@link #next} makes it on the I/O pool. Runs on the call's thread, never while {@link #next} runs.
         */
        default T nextWithoutBlocking() {
            return null;
        }

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

    /**
     * Messages produced ahead of the transport. Each is produced on the I/O pool and delivered to the call's thread:
     * producing them in batches (the ones the source has at once) rather than one per hop halved the per-piece cost
     * of ReadContent on a busy 2-core machine, where every thread hop waits for a core.
     */
    static final int AHEAD = 3;

    private final ServerCallStreamObserver<T> call;
    private final Executor callExecutor;
    private final Executor io;
    private final ScheduledExecutorService timer;
    private final Source<T> source;
    // Touched only on callExecutor.
    private final ArrayDeque<T> queue = new ArrayDeque<>();
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
        // Stay ready with up to two pieces queued in the transport: the next one is sent while the previous drains.
        call.setOnReadyThreshold(dev.p2psuite.grpc.WireLimits.BULK_ON_READY_THRESHOLD_BYTES);
        call.setOnReadyHandler(() -> callExecutor.execute(sender::pump));
        call.setOnCancelHandler(() -> callExecutor.execute(sender::cancelled));
        callExecutor.execute(sender::pump);
    }

    private void pump() {
        while (!done) {
            while (!queue.isEmpty() && call.isReady()) {
                call.onNext(queue.poll());
            }
            if (ended || producing || queue.size() >= AHEAD) {
                break;
            }
            // Made here when it needs no I/O: a hop through the I/O pool waits behind every piece being verified
            // there, and the in-order reader then falls far behind a fast download (its pieces read back from disk).
            T now;
            try {
                now = source.nextWithoutBlocking();
            } catch (RuntimeException e) {
                finish(e);
                return;
            }
            if (now == null) {
                break;
            }
            queue.add(now);
        }
        if (done) {
            return;
        }
        if (ended && queue.isEmpty()) {
            finish(null);
            return;
        }
        if (!ended && !producing && queue.size() < AHEAD) {
            producing = true;
            int room = AHEAD - queue.size();
            io.execute(() -> produce(room));
        }
    }

    /** Produces up to {@code room} messages that are ready now, then hands them over in one hop. */
    private void produce(int room) {
        List<T> batch = new ArrayList<>(room);
        Next<T> later = null;
        Throwable failure = null;
        boolean end = false;
        try {
            while (batch.size() < room) {
                Next<T> next = source.next();
                if (next == null) {
                    end = true;
                    break;
                }
                if (next.retryAfter() != null || next.delayNanos() > 0) {
                    later = next; // waits for an event or the rate limit: deliver what is ready first
                    break;
                }
                batch.add(next.message());
            }
        } catch (Throwable e) {
            failure = e;
        }
        Throwable failed = failure;
        boolean complete = end;
        Next<T> pending = later;
        callExecutor.execute(() -> {
            queue.addAll(batch);
            if (failed != null) {
                producing = false;
                finish(failed);
                return;
            }
            if (complete) {
                ended = true;
            }
            if (pending == null) {
                producing = false;
            }
            pump();
        });
        if (pending == null || failed != null) {
            return;
        }
        if (pending.retryAfter() != null) {
            pending.retryAfter().whenComplete((v, e) -> callExecutor.execute(() -> {
                producing = false;
                if (e != null) {
                    finish(e);
                } else {
                    pump();
                }
            }));
        } else {
            timer.schedule(() -> callExecutor.execute(() -> {
                producing = false;
                if (!done) {
                    queue.add(pending.message());
                }
                pump();
            }), pending.delayNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void cancelled() {
        if (!done) {
            done = true;
            queue.clear();
            source.closed();
        }
    }

    private void finish(Throwable failure) {
        if (done) {
            return;
        }
        done = true;
        queue.clear();
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
