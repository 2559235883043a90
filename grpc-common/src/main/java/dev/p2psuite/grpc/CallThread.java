package dev.p2psuite.grpc;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * The thread a call (or socket) lives on, as an executor. A Vert.x server call must be used from its own event
 * loop; a circuit touches two calls on two loops, so every action on an end is run through that end's executor:
 * inline when already on its thread, queued (in order) on its context otherwise. Outside Vert.x (plain grpc-java)
 * a serializing executor keeps the same one-at-a-time guarantee. Used by the gateway's relays of client calls to
 * the node's services, by the relay's circuits and by storage-service's calls and downloads (their I/O on its own
 * pool); their callbacks then need no locks.
 */
public final class CallThread {

    private CallThread() {
    }

    /** The current call's thread. */
    public static Executor current() {
        return current(Runnable::run);
    }

    /**
     * The current call's thread; outside Vert.x, a serializing executor whose tasks run on {@code pool} (so work
     * handed to it never runs on the caller's thread; {@code Runnable::run}: on whichever thread submits).
     */
    public static Executor current(Executor pool) {
        Context context = Vertx.currentContext();
        if (context == null || !context.isEventLoopContext()) {
            return new Serial(pool);
        }
        Thread owner = Thread.currentThread();
        return task -> {
            if (Thread.currentThread() == owner) {
                task.run();
            } else {
                context.runOnContext(v -> task.run());
            }
        };
    }

    /** Runs tasks one at a time in submission order, on {@code pool} (by default on whichever thread submits). */
    public static final class Serial implements Executor {
        private final Executor pool;
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private boolean running;

        public Serial() {
            this(Runnable::run);
        }

        public Serial(Executor pool) {
            this.pool = pool;
        }

        @Override
        public void execute(Runnable task) {
            synchronized (this) {
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
                synchronized (this) {
                    next = queue.poll();
                    if (next == null) {
                        running = false;
                        return;
                    }
                }
                try {
                    next.run();
                } catch (RuntimeException e) {
                    System.getLogger(CallThread.class.getName()).log(System.Logger.Level.WARNING, "call task failed", e);
                }
            }
        }
    }
}
