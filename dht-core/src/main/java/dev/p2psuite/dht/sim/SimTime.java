package dev.p2psuite.dht.sim;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Virtual time for a simulation split into partitions, each with its own {@link EventLoop} and thread (the
 * calling thread runs partition 0), advanced together in windows of {@code lookahead} milliseconds: a conservative
 * parallel discrete-event simulation. Every message between nodes takes at least the network's minimum latency,
 * so nothing a partition does inside a window can affect another partition inside the same window; events for
 * another partition are collected and handed over at the window's end, in a fixed order.
 *
 * <p>Results depend on the seed and the number of partitions, never on thread timing: each partition runs its
 * events in (time, scheduling order), cross-partition events are merged in (source partition, creation) order, and
 * the driver's conditions are checked only between windows. With one partition it is a plain sequential loop.
 *
 * <p>Code outside the windows (the driver starting nodes, issuing lookups) runs on the calling thread while every
 * partition is paused, so it may touch any node.
 */
public final class SimTime implements AutoCloseable {

    /** Partitions by default: this machine class has two cores. Results are deterministic for a given count. */
    public static final int DEFAULT_PARTITIONS = 2;

    /**
     * Busy-wait this many rounds for the other side of a window hand-off before parking: a few microseconds, so that
     * a machine shared with other work does not lose a core to spinning.
     */
    private static final int SPINS_BEFORE_PARKING = 2_000;

    /**
     * Below this many events in the previous window, the next one runs its partitions one after the other on the
     * calling thread: the same events in the same order (the windows' semantics do not depend on who runs them),
     * without paying for a thread hand-off in quiet stretches.
     */
    static final long PARALLEL_THRESHOLD = 400;

    private record Pending(long at, Runnable task) {
    }

    private final EventLoop[] loops;
    private final long lookahead;
    /** outboxes[from][to]: events partition {@code from} created for partition {@code to} during a window. */
    private final List<List<List<Pending>>> outboxes;
    private final Worker[] workers;
    private final Thread coordinator = Thread.currentThread();
    private volatile boolean running;
    private volatile long windowEnd;
    private volatile long generation;
    private volatile Throwable failure;
    private volatile boolean closed;
    private long lastWindowEvents = Long.MAX_VALUE;
    private final long parallelThreshold;

    /**
     * @param lookahead the window length in ms: at most the smallest delay of any event one partition creates for
     *                  another (the network's minimum one-way latency); below 1, everything runs in one partition
     */
    public SimTime(int partitions, long lookahead) {
        this(partitions, lookahead, PARALLEL_THRESHOLD);
    }

    /** With {@code parallelThreshold} 0 every window runs in parallel; Long.MAX_VALUE, none (tests compare them). */
    SimTime(int partitions, long lookahead, long parallelThreshold) {
        this.parallelThreshold = parallelThreshold;
        int p = lookahead < 1 ? 1 : Math.max(1, partitions);
        this.lookahead = Math.max(1, lookahead);
        loops = new EventLoop[p];
        for (int i = 0; i < p; i++) {
            loops[i] = new EventLoop();
        }
        outboxes = new ArrayList<>(p);
        for (int i = 0; i < p; i++) {
            List<List<Pending>> row = new ArrayList<>(p);
            for (int j = 0; j < p; j++) {
                row.add(new ArrayList<>());
            }
            outboxes.add(row);
        }
        workers = new Worker[p - 1];
        for (int i = 1; i < p; i++) {
            workers[i - 1] = new Worker(i);
            workers[i - 1].thread.start();
        }
    }

    public int partitions() {
        return loops.length;
    }

    public EventLoop loop(int partition) {
        return loops[partition];
    }

    /** The common clock between windows (unix ms). */
    public long millis() {
        return loops[0].millis();
    }

    public long elapsedMs() {
        return millis() - EventLoop.EPOCH_MS;
    }

    public long executed() {
        long n = 0;
        for (EventLoop l : loops) {
            n += l.executed();
        }
        return n;
    }

    /**
     * Runs {@code task} at {@code at} in partition {@code to}, on behalf of code running in partition {@code from}
     * (or of the driver, between windows). Inside a window, an event for another partition waits in an outbox and
     * is never due before the window's end.
     */
    public void post(int from, int to, long at, Runnable task) {
        if (!running || from == to) {
            loops[to].scheduleAt(at, task);
            return;
        }
        List<Pending> box = outboxes.get(from).get(to);
        box.add(new Pending(Math.max(at, windowEnd), task));
    }

    public void runFor(Duration d) {
        runUntil(millis() + d.toMillis());
    }

    /** Runs until virtual time {@code untilMs} (absolute); every partition's clock ends there. */
    public void runUntil(long untilMs) {
        while (true) {
            long t = nextEventTime();
            if (t > untilMs) {
                break;
            }
            window(t, Math.min(t + lookahead, untilMs + 1));
        }
        for (EventLoop l : loops) {
            l.advanceTo(untilMs);
        }
    }

    /**
     * Runs windows until {@code done} holds (checked between windows) or {@code maxMs} of virtual time have passed;
     * returns whether {@code done} held.
     */
    public boolean runUntil(BooleanSupplier done, long maxMs) {
        long limit = millis() + maxMs;
        while (!done.getAsBoolean()) {
            long t = nextEventTime();
            if (t > limit) {
                for (EventLoop l : loops) {
                    l.advanceTo(limit);
                }
                return done.getAsBoolean();
            }
            window(t, Math.min(t + lookahead, limit + 1));
        }
        return true;
    }

    private long nextEventTime() {
        long t = Long.MAX_VALUE;
        for (EventLoop l : loops) {
            t = Math.min(t, l.nextEventTime());
        }
        return t;
    }

    /** Runs every partition's events in [start, end) (no event is due before start), then merges the outboxes. */
    private void window(long start, long end) {
        if (Thread.currentThread() != coordinator) {
            throw new IllegalStateException("only the thread that created the simulation may run it");
        }
        for (EventLoop l : loops) {
            l.advanceTo(start);
        }
        long before = executed();
        if (loops.length == 1) {
            loops[0].runBefore(end);
        } else if (lastWindowEvents < parallelThreshold) {
            windowEnd = end;
            running = true;
            try {
                for (EventLoop l : loops) {
                    l.runBefore(end);
                }
            } finally {
                running = false;
            }
            mergeOutboxes();
        } else {
            windowEnd = end;
            running = true;
            long gen = ++generation;
            for (Worker w : workers) {
                LockSupport.unpark(w.thread);
            }
            try {
                loops[0].runBefore(end);
            } catch (RuntimeException | Error e) {
                failure = e;
            }
            for (Worker w : workers) {
                int spins = 0;
                while (w.done != gen) {
                    if (++spins < SPINS_BEFORE_PARKING) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(this, 1_000_000);  // the worker unparks us when it is done
                    }
                }
            }
            running = false;
            if (failure != null) {
                Throwable f = failure;
                failure = null;
                if (f instanceof RuntimeException re) {
                    throw re;
                }
                throw (Error) f;
            }
            mergeOutboxes();
        }
        lastWindowEvents = executed() - before;
        long last = end - 1;
        for (EventLoop l : loops) {
            if (l.nextEventTime() > last) {
                l.advanceTo(last);
            }
        }
    }

    private void mergeOutboxes() {
        for (int to = 0; to < loops.length; to++) {
            for (int from = 0; from < loops.length; from++) {
                List<Pending> box = outboxes.get(from).get(to);
                for (Pending p : box) {
                    loops[to].scheduleAt(p.at, p.task);
                }
                box.clear();
            }
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            for (Worker w : workers) {
                w.thread.interrupt();
                LockSupport.unpark(w.thread);
            }
        }
    }

    private final class Worker implements Runnable {
        final int partition;
        final Thread thread;
        volatile long done;

        Worker(int partition) {
            this.partition = partition;
            this.thread = new Thread(this, "sim-partition-" + partition);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0;
            while (!closed) {
                int spins = 0;
                while (generation == seen && !closed) {
                    if (++spins < SPINS_BEFORE_PARKING) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
                if (closed) {
                    return;
                }
                seen = generation;
                try {
                    loops[partition].runBefore(windowEnd);
                } catch (RuntimeException | Error e) {
                    failure = e;
                }
                done = seen;
                LockSupport.unpark(coordinator);
            }
        }
    }
}
