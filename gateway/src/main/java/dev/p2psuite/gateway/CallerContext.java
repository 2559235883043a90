package dev.p2psuite.gateway;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.Executor;

/**
 * The thread a server call lives on. The Vert.x gRPC server wants every step of a call on its own event loop;
 * running the callbacks of the internal calls that feed it there too makes each relay single-threaded, so it
 * needs no locks.
 */
final class CallerContext {

    private CallerContext() {
    }

    /** An executor for the current call's Vert.x context (direct when not on one, as in plain unit tests). */
    static Executor executor() {
        Context vertx = Vertx.currentContext();
        return vertx == null ? Runnable::run : task -> vertx.runOnContext(v -> task.run());
    }
}
