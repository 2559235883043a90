package dev.p2psuite.dht.core;

import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * One iterative Kademlia lookup (paper, section 2.3) as a state machine without I/O, after rust-libp2p's
 * {@code query/peers/closest.rs} and go-libp2p-kad-dht's {@code qpeerset}: the caller asks {@link #next} what to do,
 * sends the queries it is told to, and reports each answer with {@link #onResponse}, {@link #onFailure} or
 * {@link #onValue}. Not thread-safe.
 *
 * <p>Rules: at most {@code alpha} requests in flight; only the {@code k} closest peers not known to have failed are
 * ever queried; a request unanswered after {@code requestTimeout} counts as failed (the peer is "unresponsive"; a
 * late answer is still taken); the lookup finishes when the {@code k} closest peers seen have all answered, or when
 * no candidate is left. In {@link Mode#FIND_VALUE} it finishes at the first value the caller reports valid.
 *
 * <p>Rounds are the depth of the query chain: the seed peers are round 1, a peer first learned from a round-r
 * answer is round r+1; {@link Result#rounds()} is the highest round among peers that answered.
 */
public final class Lookup {

    public enum Mode { FIND_NODE, FIND_VALUE }

    /** What the caller should do next. */
    public sealed interface Step permits Query, Wait, Finished {
    }

    /** Send the lookup's request to {@code peer}. */
    public record Query(Contact peer) implements Step {
    }

    /** Nothing to send now; call {@link #next} again on an answer or at {@code until} (a request's deadline). */
    public record Wait(Instant until) implements Step {
    }

    public record Finished(Result result) implements Step {
    }

    /**
     * The outcome: {@code closest} are the up to k closest peers that answered, closest first; {@code valueFrom} the
     * peer that gave the value (FIND_VALUE), else null; {@code messages} the requests sent; {@code failures} the
     * requests that failed or timed out.
     */
    public record Result(NodeId target, List<Contact> closest, Contact valueFrom, boolean stopped, int rounds,
                         int messages, int failures) {
        public boolean valueFound() {
            return valueFrom != null;
        }
    }

    private enum State { CANDIDATE, WAITING, SUCCEEDED, FAILED, UNRESPONSIVE }

    private static final class Peer {
        final Contact contact;
        final long d0;
        final long d1;
        final int d2;
        final int round;
        State state = State.CANDIDATE;
        long deadline;

        Peer(Contact contact, long d0, long d1, int d2, int round) {
            this.contact = contact;
            this.d0 = d0;
            this.d1 = d1;
            this.d2 = d2;
            this.round = round;
        }

        int compareDistance(Peer o) {
            int c = Long.compareUnsigned(d0, o.d0);
            if (c != 0) {
                return c;
            }
            c = Long.compareUnsigned(d1, o.d1);
            return c != 0 ? c : Integer.compareUnsigned(d2, o.d2);
        }
    }

    private final NodeId target;
    private final byte[] targetBytes;
    private final NodeId self;
    private final int k;
    private final int alpha;
    private final long timeoutMs;
    private final Mode mode;
    /** Closest first. */
    private final ArrayList<Peer> peers = new ArrayList<>();
    /** Open-addressing index of {@link #peers} by distance (equal distance to the target = same ID). */
    private Peer[] index = new Peer[64];
    /**
     * A second index by contact object identity: answers often repeat contacts already seen, and when they are the
     * very same objects (an in-process simulator shares them) they are recognised without reading their IDs.
     */
    private Contact[] seenContacts = new Contact[64];
    private Peer[] seenPeers = new Peer[64];
    private int seen;
    /** Peers with a request out (at most alpha). */
    private final ArrayList<Peer> waiting = new ArrayList<>();
    private int messages;
    private int failures;
    private Contact valueFrom;
    private boolean stopped;
    private Result result;

    /**
     * @param self this node's ID, never queried (null if none)
     * @param seeds the first candidates, typically the k closest contacts of the routing table
     */
    public Lookup(NodeId target, Collection<Contact> seeds, int k, int alpha, Duration requestTimeout, Mode mode,
                  NodeId self) {
        this.target = Objects.requireNonNull(target, "target");
        this.targetBytes = target.bytes();
        this.self = self;
        if (k < 1 || alpha < 1) {
            throw new IllegalArgumentException("k and alpha must be at least 1, got k=" + k + " alpha=" + alpha);
        }
        this.k = k;
        this.alpha = alpha;
        this.timeoutMs = requestTimeout.toMillis();
        this.mode = Objects.requireNonNull(mode, "mode");
        for (Contact c : seeds) {
            add(c, 1);
        }
    }

    public NodeId target() {
        return target;
    }

    public Mode mode() {
        return mode;
    }

    public boolean isFinished() {
        return result != null;
    }

    /** Candidates known so far (all states). */
    public int known() {
        return peers.size();
    }

    public int inFlight() {
        return waiting.size();
    }

    private void add(Contact c, int round) {
        if (seenPeer(c) != null) {
            return;
        }
        NodeId id = c.id();
        if (id.equals(self)) {
            return;
        }
        Peer p = distanceOf(c, round);
        Peer existing = find(p);
        if (existing != null) {
            remember(c, existing);
            return;
        }
        remember(c, p);
        int lo = 0;
        int hi = peers.size();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (peers.get(mid).compareDistance(p) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        peers.add(lo, p);
        index(p);
    }

    private Peer distanceOf(Contact c, int round) {
        byte[] b = c.id().bytes();
        long d0 = 0;
        long d1 = 0;
        for (int i = 0; i < 8; i++) {
            d0 = (d0 << 8) | ((b[i] ^ targetBytes[i]) & 0xffL);
            d1 = (d1 << 8) | ((b[i + 8] ^ targetBytes[i + 8]) & 0xffL);
        }
        int d2 = 0;
        for (int i = 16; i < 20; i++) {
            d2 = (d2 << 8) | ((b[i] ^ targetBytes[i]) & 0xff);
        }
        return new Peer(c, d0, d1, d2, round);
    }

    private static int slot(Peer p, int mask) {
        return Long.hashCode(p.d0 * 0x9E3779B97F4A7C15L) & mask;
    }

    private Peer find(Peer probe) {
        int mask = index.length - 1;
        for (int i = slot(probe, mask); index[i] != null; i = (i + 1) & mask) {
            Peer p = index[i];
            if (p.d0 == probe.d0 && p.d1 == probe.d1 && p.d2 == probe.d2) {
                return p;
            }
        }
        return null;
    }

    private void index(Peer p) {
        if (2 * (peers.size() + 1) > index.length) {
            Peer[] old = index;
            index = new Peer[old.length * 2];
            for (Peer q : old) {
                if (q != null) {
                    put(q);
                }
            }
        }
        put(p);
    }

    private void put(Peer p) {
        int mask = index.length - 1;
        int i = slot(p, mask);
        while (index[i] != null) {
            i = (i + 1) & mask;
        }
        index[i] = p;
    }

    private Peer known(Contact c) {
        Peer p = seenPeer(c);
        return p != null ? p : find(distanceOf(c, 0));
    }

    private Peer seenPeer(Contact c) {
        int mask = seenContacts.length - 1;
        for (int i = System.identityHashCode(c) & mask; seenContacts[i] != null; i = (i + 1) & mask) {
            if (seenContacts[i] == c) {
                return seenPeers[i];
            }
        }
        return null;
    }

    private void remember(Contact c, Peer p) {
        if (2 * (seen + 1) > seenContacts.length) {
            Contact[] oldContacts = seenContacts;
            Peer[] oldPeers = seenPeers;
            seenContacts = new Contact[oldContacts.length * 2];
            seenPeers = new Peer[oldContacts.length * 2];
            for (int i = 0; i < oldContacts.length; i++) {
                if (oldContacts[i] != null) {
                    putSeen(oldContacts[i], oldPeers[i]);
                }
            }
        }
        putSeen(c, p);
        seen++;
    }

    private void putSeen(Contact c, Peer p) {
        int mask = seenContacts.length - 1;
        int i = System.identityHashCode(c) & mask;
        while (seenContacts[i] != null) {
            i = (i + 1) & mask;
        }
        seenContacts[i] = c;
        seenPeers[i] = p;
    }

    /** The next thing to do at {@code now}; after {@link Finished} it keeps answering the same result. */
    public Step next(Instant now) {
        if (result != null) {
            return new Finished(result);
        }
        long nowMs = now.toEpochMilli();
        long earliest = Long.MAX_VALUE;
        int considered = 0;
        boolean pending = false;
        for (int i = waiting.size() - 1; i >= 0; i--) {
            Peer p = waiting.get(i);
            if (p.deadline <= nowMs) {
                // No answer in time: unresponsive, counted as failed; frees its slot (rust-libp2p does the same).
                p.state = State.UNRESPONSIVE;
                waiting.remove(i);
                failures++;
            }
        }
        for (Peer p : peers) {
            if (considered == k) {
                break;
            }
            switch (p.state) {
                case FAILED, UNRESPONSIVE -> {
                    continue;
                }
                case SUCCEEDED -> considered++;
                case WAITING -> {
                    considered++;
                    pending = true;
                    earliest = Math.min(earliest, p.deadline);
                }
                case CANDIDATE -> {
                    considered++;
                    pending = true;
                    if (waiting.size() < alpha) {
                        p.state = State.WAITING;
                        p.deadline = nowMs + timeoutMs;
                        waiting.add(p);
                        messages++;
                        return new Query(p.contact);
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
        if (!pending) {
            // The k closest seen have all answered (or no candidate is left). Requests still out went to peers that
            // have since dropped out of the k closest; like rust-libp2p, the lookup does not wait for them.
            return new Finished(finish());
        }
        if (earliest == Long.MAX_VALUE) {
            // Only requests to peers outside the k closest are out; wake at the first of their deadlines.
            for (Peer p : waiting) {
                earliest = Math.min(earliest, p.deadline);
            }
        }
        return new Wait(Instant.ofEpochMilli(earliest));
    }

    /** {@code peer} answered with {@code closer} contacts (its k closest to the target). */
    public void onResponse(Contact peer, List<Contact> closer) {
        Peer p = known(peer);
        if (p == null || result != null) {
            return;
        }
        if (p.state == State.WAITING) {
            waiting.remove(p);
        } else if (p.state == State.UNRESPONSIVE) {
            failures--;  // a late answer: the peer is alive after all
        } else {
            return;
        }
        p.state = State.SUCCEEDED;
        int round = p.round + 1;
        for (Contact c : closer) {
            add(c, round);
        }
    }

    /** The request to {@code peer} failed (error, refusal, timeout seen by the transport, invalid answer). */
    public void onFailure(Contact peer) {
        Peer p = known(peer);
        if (p == null || result != null) {
            return;
        }
        if (p.state == State.WAITING) {
            waiting.remove(p);
            failures++;
            p.state = State.FAILED;
        } else if (p.state == State.UNRESPONSIVE) {
            p.state = State.FAILED;
        }
    }

    /**
     * FIND_VALUE: {@code peer} answered with a value the caller has verified; the lookup ends (paper, section 2.3:
     * the procedure halts as soon as any node returns the value).
     */
    public void onValue(Contact peer) {
        if (mode != Mode.FIND_VALUE) {
            throw new IllegalStateException("onValue in a " + mode + " lookup");
        }
        Peer p = known(peer);
        if (p == null || result != null) {
            return;
        }
        if (p.state == State.WAITING) {
            waiting.remove(p);
        } else if (p.state == State.UNRESPONSIVE) {
            failures--;
        }
        p.state = State.SUCCEEDED;
        valueFrom = peer;
        finish();
    }

    /** Ends the lookup now with what it has (e.g. enough providers found). */
    public void stop() {
        if (result == null) {
            stopped = true;
            finish();
        }
    }

    private Result finish() {
        if (result != null) {
            return result;
        }
        List<Contact> closest = new ArrayList<>(k);
        int rounds = 0;
        for (Peer p : peers) {
            if (p.state == State.SUCCEEDED) {
                rounds = Math.max(rounds, p.round);
                if (closest.size() < k) {
                    closest.add(p.contact);
                }
            }
        }
        result = new Result(target, List.copyOf(closest), valueFrom, stopped, rounds, messages, failures);
        return result;
    }
}
