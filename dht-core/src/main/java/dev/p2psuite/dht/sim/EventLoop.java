package dev.p2psuite.dht.sim;

import dev.p2psuite.dht.core.Scheduler;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.PriorityQueue;

/**
 * Virtual time for one simulation partition ({@link SimTime} runs several): a clock that only moves when the loop
 * runs the next event, and a {@link Scheduler} that queues tasks at virtual instants (millisecond resolution).
 * Single-threaded; events due at the same millisecond run in the order they were scheduled, so a run is a function
 * of its seed.
 *
 * <p>Most events (message deliveries, timeouts) fall within seconds, so they go to a timing wheel of one slot per
 * millisecond (O(1) per event); events further out wait in a priority queue and move to the wheel before their
 * slot can receive any direct event, which keeps same-millisecond events in scheduling order.
 */
public final class EventLoop implements Scheduler, InstantSource {

    /** Virtual time starts here (unix ms), so records carry plausible timestamps. */
    public static final long EPOCH_MS = 1_700_000_000_000L;

    private static final int WHEEL_BITS = 16;
    private static final int WHEEL = 1 << WHEEL_BITS;  // ~65 s of 1 ms slots
    private static final int MASK = WHEEL - 1;

    private static final class Event implements Comparable<Event>, Cancellable {
        final long at;
        final long seq;
        Runnable task;
        Event next;

        Event(long at, long seq, Runnable task) {
            this.at = at;
            this.seq = seq;
            this.task = task;
        }

        @Override
        public int compareTo(Event o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }

        @Override
        public void cancel() {
            task = null;
        }
    }

    private final Event[] head = new Event[WHEEL];
    private final Event[] tail = new Event[WHEEL];
    private final PriorityQueue<Event> far = new PriorityQueue<>();
    private int inWheel;
    private long now = EPOCH_MS;
    private long seq;
    private long executed;

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
        return scheduleMs(delay.toMillis(), task);
    }

    /** Runs {@code task} {@code delayMs} virtual milliseconds from now. */
    public Cancellable scheduleMs(long delayMs, Runnable task) {
        Event e = new Event(now + Math.max(0, delayMs), seq++, task);
        if (e.at - now < WHEEL) {
            append(e);
        } else {
            far.add(e);
        }
        return e;
    }

    private void append(Event e) {
        int slot = (int) (e.at & MASK);
        if (tail[slot] == null) {
            head[slot] = e;
        } else {
            tail[slot].next = e;
        }
        tail[slot] = e;
        inWheel++;
    }

    /** Moves far events that are now within the wheel's span into it (before anything else can reach their slot). */
    private void migrate() {
        while (!far.isEmpty() && far.peek().at - now < WHEEL) {
            append(far.poll());
        }
    }

    @Override
    public long millis() {
        return now;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(now);
    }

    /** Virtual milliseconds since the start. */
    public long elapsedMs() {
        return now - EPOCH_MS;
    }

    public long executed() {
        return executed;
    }

    public int pending() {
        return inWheel + far.size();
    }

    /** The time of the next event, or Long.MAX_VALUE if none. */
    private long nextAt() {
        if (inWheel == 0) {
            return far.isEmpty() ? Long.MAX_VALUE : far.peek().at;
        }
        for (long t = now; ; t++) {
            if (head[(int) (t & MASK)] != null) {
                return t;
            }
        }
    }

    /** Advances the clock to {@code t} (no event before it) and runs everything due at {@code t}. */
    private void runSlot(long t) {
        if (t != now) {
            now = t;
            migrate();
        }
        int slot = (int) (t & MASK);
        Event e;
        while ((e = head[slot]) != null) {
            head[slot] = e.next;
            if (e.next == null) {
                tail[slot] = null;
            }
            e.next = null;
            inWheel--;
            Runnable task = e.task;
            if (task != null) {
                e.task = null;
                executed++;
                task.run();
            }
        }
    }

    /** Time of the next pending event, or Long.MAX_VALUE if none (cancelled events count until they are reached). */
    public long nextEventTime() {
        return nextAt();
    }

    /** Runs every event due before {@code endExclusive}; the clock stays at the last event run. */
    public void runBefore(long endExclusive) {
        while (true) {
            long t = nextAt();
            if (t >= endExclusive) {
                return;
            }
            if (inWheel == 0) {
                now = t;  // jump: the wheel is empty, so no slot can hold events before t
                migrate();
            }
            runSlot(t);
        }
    }

    /** Moves the clock forward to {@code t} (never back); no event may be due before it. */
    public void advanceTo(long t) {
        if (t > now) {
            if (nextAt() < t) {
                throw new IllegalStateException("events pending before " + t);
            }
            now = t;
            migrate();
        }
    }

    /** Runs {@code task} at absolute virtual time {@code at} (not before now). */
    public Cancellable scheduleAt(long at, Runnable task) {
        return scheduleMs(at - now, task);
    }
}
