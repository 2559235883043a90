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
 * the node's services and by the relay's circuits; their callbacks then need no locks.
 */
public final class CallThread {

    private CallThread() {
    }

    /** The current call's thread. */
    public static Executor current() {
        Context context = Vertx.currentContext();
        if (context == null || !context.isEventLoopContext()) {
            return new Serial();
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

    /** Runs tasks one at a time in submission order, on whichever thread submits while none is running. */
    public static final class Serial implements Executor {
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private boolean running;

        @Override
        public void execute(Runnable task) {
            synchronized (this) {
                queue.add(task);
                if (running) {
                    return;
                }
                running = true;
            }
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
