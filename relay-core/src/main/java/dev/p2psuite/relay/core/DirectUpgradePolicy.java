package dev.p2psuite.relay.core;

import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * When a node that reaches a peer only through a relay circuit tries to upgrade to a direct connection by a hole
 * punch (libp2p DCUtR: "upgrade a relayed connection to a direct one"), as pure rules with injected time. The
 * adapter ({@code PeerDialer}) asks {@link #onRelayedRoute} each time it settles on a relayed route and runs the
 * DCUtR exchange (up to {@value HolePunchResponder#MAX_ATTEMPTS} attempts, {@link HolePunchInitiator}) only on
 * {@link Decision#START}, in the background; it reports the outcome back.
 *
 * <p>Bounds, so that peers that cannot be punched (a symmetric NAT, RFC 4787 §4.1) never cause a retry storm:
 * at most {@link Settings#maxExchanges} failed exchanges per peer and record version (a new record means new
 * addresses, like an ICE restart, RFC 8445 §9, and gets a new budget), a doubling backoff between exchanges
 * (capped), and at most {@link Settings#maxConcurrent} exchanges at once. A direct path, once punched, is
 * preferred (RFC 8445 §5.1.2.2: relayed candidates have the lowest type preference); when it breaks the node falls
 * back to the relay and may punch again after the base backoff.
 *
 * <p>Not thread-safe: the adapter serializes calls.
 */
public final class DirectUpgradePolicy {

    /** Peers remembered at most (least recently used forgotten first); bounds memory on a large network. */
    public static final int MAX_PEERS = 4_096;

    /**
     * @param enabled        upgrade at all
     * @param maxExchanges   failed DCUtR exchanges per peer and record version before giving up on that version
     * @param backoff        wait after the first failure (and after a punched connection broke); doubles per failure
     * @param maxBackoff     the longest wait
     * @param maxConcurrent  exchanges running at once in this process
     */
    public record Settings(boolean enabled, int maxExchanges, Duration backoff, Duration maxBackoff, int maxConcurrent) {
        public Settings {
            if (maxExchanges < 1 || maxConcurrent < 1) {
                throw new IllegalArgumentException("max exchanges and max concurrent must be at least 1");
            }
            if (backoff.isNegative() || maxBackoff.compareTo(backoff) < 0) {
                throw new IllegalArgumentException("backoff must be >= 0 and max backoff >= backoff");
            }
        }

        /**
         * 3 exchanges per record version (each up to 3 DCUtR attempts), 30 s doubling to 10 min, 4 at once (the
         * defaults of {@code p2p.hole-punch.*}).
         */
        public static Settings defaults() {
            return new Settings(true, 3, Duration.ofSeconds(30), Duration.ofMinutes(10), 4);
        }
    }

    /** What {@link #onRelayedRoute} decided. */
    public enum Decision {
        /** Run an exchange now (and report its outcome). */
        START,
        DISABLED,
        /** This node is publicly reachable (its record lists no relay): the peer can dial it; nothing to punch. */
        SELF_NOT_BEHIND_NAT,
        /** This node or the peer announces no direct address, so neither side could be dialled. */
        NO_DIRECT_CANDIDATES,
        IN_PROGRESS,
        /** A punched connection is held. */
        ALREADY_DIRECT,
        BACKING_OFF,
        /** {@link Settings#maxExchanges} exchanges failed for this record version. */
        GAVE_UP,
        /** {@link Settings#maxConcurrent} exchanges are running. */
        BUSY
    }

    /** What is known about one peer. */
    public record PeerState(long seq, int failures, boolean running, boolean punched, Instant notBefore) {
    }

    private static final class Peer {
        long seq;
        int failures;
        boolean running;
        boolean punched;
        Instant notBefore = Instant.EPOCH;

        PeerState snapshot() {
            return new PeerState(seq, failures, running, punched, notBefore);
        }
    }

    private final Settings settings;
    private final InstantSource clock;
    private final Map<NodeId, Peer> peers = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<NodeId, Peer> eldest) {
            return size() > MAX_PEERS && !eldest.getValue().running;
        }
    };
    private int running;

    public DirectUpgradePolicy(Settings settings, InstantSource clock) {
        this.settings = settings;
        this.clock = clock;
    }

    public Settings settings() {
        return settings;
    }

    /**
     * This node settled on a relayed route to {@code peer} (record version {@code seq}).
     *
     * @param selfBehindNat     this node's own record lists a relayed candidate (it is not publicly reachable)
     * @param bothHaveDirect    this node and the peer each announce a direct (host or server-reflexive) address
     */
    public Decision onRelayedRoute(NodeId peer, long seq, boolean selfBehindNat, boolean bothHaveDirect) {
        if (!settings.enabled()) {
            return Decision.DISABLED;
        }
        if (!selfBehindNat) {
            // DCUtR upgrades between two nodes that cannot dial each other; a public node is reached directly.
            return Decision.SELF_NOT_BEHIND_NAT;
        }
        if (!bothHaveDirect) {
            // DCUtR CONNECT carries each side's observed addresses: with none on one side there is nothing to dial.
            return Decision.NO_DIRECT_CANDIDATES;
        }
        Peer p = peers.computeIfAbsent(peer, id -> new Peer());
        if (seq > p.seq) {
            // New addresses: a new budget (the backoff still runs, so a flapping record cannot cause a storm).
            p.seq = seq;
            p.failures = 0;
        }
        if (p.running) {
            return Decision.IN_PROGRESS;
        }
        if (p.punched) {
            return Decision.ALREADY_DIRECT;
        }
        if (p.failures >= settings.maxExchanges()) {
            return Decision.GAVE_UP; // e.g. a symmetric NAT (RFC 4787 §4.1): more exchanges would fail the same way
        }
        if (clock.instant().isBefore(p.notBefore)) {
            return Decision.BACKING_OFF; // paced, as ICE paces its checks (RFC 8445 §14, Ta): no retry storm
        }
        if (running >= settings.maxConcurrent()) {
            return Decision.BUSY;
        }
        p.running = true;
        running++;
        return Decision.START;
    }

    /** The exchange started for {@code peer} gave a proved direct connection. */
    public void onSucceeded(NodeId peer) {
        Peer p = finish(peer);
        p.punched = true;
        p.failures = 0;
    }

    /** The exchange started for {@code peer} failed (every DCUtR attempt, or the exchange itself). */
    public void onFailed(NodeId peer) {
        Peer p = finish(peer);
        p.failures++;
        p.notBefore = clock.instant().plus(backoffAfter(p.failures));
    }

    /** The punched connection to {@code peer} ended: traffic is back on the relay; punch again after the backoff. */
    public void onDirectLost(NodeId peer) {
        Peer p = peers.computeIfAbsent(peer, id -> new Peer());
        p.punched = false;
        p.notBefore = clock.instant().plus(settings.backoff());
    }

    public Optional<PeerState> state(NodeId peer) {
        Peer p = peers.get(peer);
        return p == null ? Optional.empty() : Optional.of(p.snapshot());
    }

    /** Exchanges running now. */
    public int running() {
        return running;
    }

    /** The wait after {@code failures} failed exchanges in a row: backoff * 2^(failures-1), at most maxBackoff. */
    Duration backoffAfter(int failures) {
        Duration d = settings.backoff();
        for (int i = 1; i < failures && d.compareTo(settings.maxBackoff()) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : d;
    }

    private Peer finish(NodeId peer) {
        Peer p = peers.computeIfAbsent(peer, id -> new Peer());
        if (p.running) {
            p.running = false;
            running--;
        }
        return p;
    }
}
