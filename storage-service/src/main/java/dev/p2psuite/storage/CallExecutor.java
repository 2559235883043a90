package dev.p2psuite.storage;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * Where a call's observer may be used. Under Quarkus's unified server a call lives on one Vert.x event loop
 * (context); I/O runs on storage-service's own pool and hops back to that context to touch the observer, so the
 * event loop never blocks and the observer is never used from two threads at once. Outside Vert.x (plain grpc-java
 * servers in tests or benchmarks) a serializing executor over the pool gives the same one-at-a-time guarantee.
 */
final class CallExecutor {

    private CallExecutor() {
    }

    /** The current call's executor; call it on the thread that delivered the call. */
    static Executor current(Executor pool) {
        Context context = Vertx.currentContext();
        if (context != null) {
            return task -> context.runOnContext(v -> task.run());
        }
        return new Serial(pool);
    }

    /** Runs tasks one at a time, in order, on a shared executor. */
    static final class Serial implements Executor {
        private final Executor pool;
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private boolean running;

        Serial(Executor pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable task) {
            synchronized (queue) {
                queue.add(task);
                if (running) {
                    return;
                }
                running = true;
            }
            pool.execute(this::drain);
        }

        private void drain() {
            while (true) {
                Runnable next;
                synchronized (queue) {
                    next = queue.poll();
                    if (next == null) {
                        running = false;
                        return;
                    }
                }
                try {
                    next.run();
                } catch (RuntimeException e) {
                    Thread t = Thread.currentThread();
                    t.getUncaughtExceptionHandler().uncaughtException(t, e);
                }
            }
        }
    }
}
