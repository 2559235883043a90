package dev.p2psuite.grpc;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Graceful stop for transfers: counts the calls of the given methods in flight; once {@link #drain} starts (the
 * service is stopping), new calls of those methods are refused with {@code UNAVAILABLE} and the caller waits
 * until the calls in flight have ended or the grace period is over. Other methods keep being served while
 * draining (a transfer in flight may still need them). Long-lived subscriptions (relay Listen, WatchChoke) must
 * not be listed: they never end by themselves.
 */
public class CallDrain implements ServerInterceptor {

    private final Set<String> methods;
    private final String service;
    private int inFlight;
    private boolean draining;

    /**
     * @param service  this service's name, for the refusal message
     * @param methods  full method names, e.g. {@code p2p.storage.v1.StorageInternal/Fetch}
     */
    protected CallDrain(String service, Set<String> methods) {
        this.service = service;
        this.methods = Set.copyOf(methods);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                        ServerCallHandler<Q, R> next) {
        if (!methods.contains(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        synchronized (this) {
            if (!draining) {
                inFlight++;
            } else {
                call.close(Status.UNAVAILABLE.withDescription(service + " is shutting down and finishes only the "
                        + "transfers already running; retry on another node or once it is back"), new Metadata());
                return new ServerCall.Listener<>() { };
            }
        }
        AtomicBoolean ended = new AtomicBoolean();
        Runnable end = () -> {
            if (ended.compareAndSet(false, true)) {
                synchronized (this) {
                    inFlight--;
                    notifyAll();
                }
            }
        };
        // A call ends at onComplete (its last message and status are written to the transport, not merely queued
        // behind a slow reader's flow-control window) or at onCancel.
        try {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                @Override
                public void onComplete() {
                    try {
                        super.onComplete();
                    } finally {
                        end.run();
                    }
                }

                @Override
                public void onCancel() {
                    try {
                        super.onCancel();
                    } finally {
                        end.run();
                    }
                }
            };
        } catch (RuntimeException e) {
            end.run();
            throw e;
        }
    }

    /** Calls of the listed methods now in flight. */
    public synchronized int inFlight() {
        return inFlight;
    }

    /**
     * Refuses new transfers from now on and waits until those in flight have ended, at most {@code grace}.
     *
     * @return the calls still in flight when it returned (0 = all ended)
     */
    public synchronized int drain(Duration grace) throws InterruptedException {
        draining = true;
        long deadline = System.nanoTime() + grace.toNanos();
        while (inFlight > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return inFlight;
    }

    /** {@link #drain}, saying in the log what it waited for and how it ended: what a service does when stopping. */
    public void stop(Duration grace) throws InterruptedException {
        System.Logger log = System.getLogger(getClass().getName());
        int running = inFlight();
        if (running > 0) {
            log.log(System.Logger.Level.INFO, "{0} stopping: waiting up to {1} for {2} transfer(s) in flight",
                    service, grace.toMillis() / 1000.0 + " s", running);
        }
        int left = drain(grace);
        if (left > 0) {
            log.log(System.Logger.Level.WARNING, "{0} stopping with {1} transfer(s) still in flight after {2}",
                    service, left, grace.toMillis() / 1000.0 + " s");
        } else if (running > 0) {
            log.log(System.Logger.Level.INFO, "{0} stopping: every transfer in flight has finished", service);
        }
    }
}
