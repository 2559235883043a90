package dev.p2psuite.relay.core;

import dev.p2psuite.identity.NodeId;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.random.RandomGenerator;

/**
 * A relay's reservations and circuits, with the limits of {@link RelayLimits} (libp2p circuit relay v2, TURN
 * RFC 8656 allocations): reservations with a lifetime, renewed by reserving again, at most so many in total and
 * per source IP; circuits announced to a reserving node and accepted by it within a deadline, at most so many per
 * reserving node and in total, each with a byte and a time budget. Nothing here does I/O: the adapter asks, acts
 * on the answer and reports back, and {@link #sweep()} (called periodically) reports what expired.
 *
 * <p>Thread-safe: one lock guards the tables; the per-frame path ({@link CircuitBudget#tryConsume}) takes no lock.
 * Time comes from the injected clock, circuit IDs from the injected random source.
 */
public final class RelayTable {

    /** Why a reservation was refused. */
    public enum ReservationRefusal {
        TOTAL_LIMIT("total"), PER_IP_LIMIT("per_ip");

        private final String tag;

        ReservationRefusal(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    /** Why a circuit was refused or never opened. */
    public enum CircuitRefusal {
        NO_RESERVATION("no_reservation"), NOT_LISTENING("not_listening"), TARGET_LIMIT("target_limit"),
        TOTAL_LIMIT("total_limit"), SELF("self"), BLOCKED_ADDRESS("blocked_address"),
        TARGET_UNREACHABLE("target_unreachable"), ACCEPT_TIMEOUT("accept_timeout"), UNKNOWN_CIRCUIT("unknown_circuit");

        private final String tag;

        CircuitRefusal(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    /** How a circuit ended. */
    public enum CloseReason { NORMAL, CANCELLED, OVER_BYTES, OVER_TIME, FAILED }

    /** A reservation as served now. */
    public record Reservation(NodeId node, SourceKey source, String sourceIp, Instant grantedAt, Instant expiresAt,
                              boolean listening, int openCircuits, long bytesRelayed) {
    }

    /** Outcome of {@link #reserve}. */
    public sealed interface ReserveOutcome {
        /** @param renewal true if the node already held a live reservation, which now lasts longer */
        record Granted(Reservation reservation, boolean renewal) implements ReserveOutcome {
        }

        record Refused(ReservationRefusal reason, String message) implements ReserveOutcome {
        }
    }

    /** Outcome of {@link #openCircuit} and {@link #openAddressCircuit}. */
    public sealed interface OpenOutcome {
        /** Waiting for the target's accept (or, for an address circuit, for the relay's dial) until {@code acceptBy}. */
        record Pending(CircuitId id, Instant acceptBy) implements OpenOutcome {
        }

        record Refused(CircuitRefusal reason, String message) implements OpenOutcome {
        }
    }

    /** Outcome of {@link #accept} and {@link #connected}. */
    public sealed interface AcceptOutcome {
        record Accepted(Circuit circuit) implements AcceptOutcome {
        }

        record Refused(CircuitRefusal reason, String message) implements AcceptOutcome {
        }
    }

    /** An open circuit. */
    public record Circuit(CircuitId id, NodeId initiator, NodeId target, CircuitBudget budget) {
    }

    /** What {@link #sweep()} found expired; the circuits are already removed from the table. */
    public record Sweep(List<NodeId> expiredReservations, List<CircuitId> acceptTimedOut, List<CircuitId> overTime) {
        public boolean isEmpty() {
            return expiredReservations.isEmpty() && acceptTimedOut.isEmpty() && overTime.isEmpty();
        }
    }

    /** Counters since start and current sizes (relay_internal.proto {@code StatsResponse}). */
    public record Stats(int reservationsActive, long reservationsGranted, long reservationsRefused,
                        Map<ReservationRefusal, Long> reservationsRefusedBy, int circuitsActive, int circuitsPending,
                        long circuitsOpened, long circuitsRefused, Map<CircuitRefusal, Long> circuitsRefusedBy,
                        long circuitsOverBytes, long circuitsOverTime, long bytesRelayed, long dialBacks,
                        long holePunchAttempts, long holePunchSuccesses) {
    }

    private static final class Res {
        final NodeId node;
        SourceKey source;
        String sourceIp;
        final Instant grantedAt;
        Instant expiresAt;
        boolean listening;
        final LongAdder bytes = new LongAdder();

        Res(NodeId node, SourceKey source, String sourceIp, Instant grantedAt) {
            this.node = node;
            this.source = source;
            this.sourceIp = sourceIp;
            this.grantedAt = grantedAt;
        }
    }

    private static final class Circ {
        final CircuitId id;
        final NodeId initiator;
        final NodeId target;
        final Instant acceptBy;
        final Res reservation; // null for a circuit to an address
        Circuit open;           // null while pending

        Circ(CircuitId id, NodeId initiator, NodeId target, Instant acceptBy, Res reservation) {
            this.id = id;
            this.initiator = initiator;
            this.target = target;
            this.acceptBy = acceptBy;
            this.reservation = reservation;
        }
    }

    private final RelayLimits limits;
    private final InstantSource clock;
    private final RandomGenerator random;
    private final Map<NodeId, Res> reservations = new HashMap<>();
    private final Map<SourceKey, Integer> perSource = new HashMap<>();
    private final Map<CircuitId, Circ> circuits = new HashMap<>();
    private final Map<NodeId, Integer> perTarget = new HashMap<>();
    private final LongAdder bytesRelayed = new LongAdder();
    private final EnumMap<ReservationRefusal, Long> reservationRefusals = new EnumMap<>(ReservationRefusal.class);
    private final EnumMap<CircuitRefusal, Long> circuitRefusals = new EnumMap<>(CircuitRefusal.class);
    private long granted;
    private long opened;
    private long overBytes;
    private long overTime;
    private long dialBacks;
    private long holePunchAttempts;
    private long holePunchSuccesses;

    /** @param random source of circuit IDs (a {@link java.security.SecureRandom} in a real relay) */
    public RelayTable(RelayLimits limits, InstantSource clock, RandomGenerator random) {
        this.limits = limits;
        this.clock = clock;
        this.random = random;
    }

    public RelayLimits limits() {
        return limits;
    }

    /**
     * Grants or renews {@code node}'s reservation, counted against {@code source}. A renewal extends the expiry to
     * a full lifetime from now and keeps the node's listening stream and circuits; it is refused only if the node
     * now reserves from another source IP whose quota is full (the old reservation then stays as it was).
     */
    public synchronized ReserveOutcome reserve(NodeId node, InetAddress source) {
        Instant now = clock.instant();
        SourceKey key = SourceKey.of(source);
        Res existing = reservations.get(node);
        boolean renewal = existing != null && now.isBefore(existing.expiresAt);
        if (existing == null && reservations.size() >= limits.maxReservations()) {
            return refuse(ReservationRefusal.TOTAL_LIMIT, "this relay serves its maximum of " + limits.maxReservations()
                    + " reservations (p2p.relay.max-reservations); try another relay or again after one expires");
        }
        boolean moves = existing == null || !existing.source.equals(key);
        if (moves && perSource.getOrDefault(key, 0) >= limits.maxReservationsPerIp()) {
            return refuse(ReservationRefusal.PER_IP_LIMIT, "source " + key + " already holds "
                    + limits.maxReservationsPerIp() + " reservations, the most allowed per source IP "
                    + "(p2p.relay.max-reservations-per-ip; an IPv6 /64 counts as one source); try another relay");
        }
        Res r = existing;
        if (r == null) {
            r = new Res(node, key, source.getHostAddress(), now);
            reservations.put(node, r);
            perSource.merge(key, 1, Integer::sum);
        } else if (moves) {
            perSource.merge(r.source, -1, (a, b) -> a + b == 0 ? null : a + b);
            perSource.merge(key, 1, Integer::sum);
            r.source = key;
            r.sourceIp = source.getHostAddress();
        }
        r.expiresAt = now.plus(limits.reservationLifetime());
        granted++;
        return new ReserveOutcome.Granted(view(r), renewal);
    }

    private ReserveOutcome refuse(ReservationRefusal reason, String message) {
        reservationRefusals.merge(reason, 1L, Long::sum);
        return new ReserveOutcome.Refused(reason, message);
    }

    /** {@code node}'s live reservation, if any. */
    public synchronized Optional<Reservation> reservation(NodeId node) {
        Res r = live(node);
        return r == null ? Optional.empty() : Optional.of(view(r));
    }

    /** Every live reservation, soonest expiry first. */
    public synchronized List<Reservation> reservations() {
        Instant now = clock.instant();
        List<Reservation> out = new ArrayList<>();
        for (Res r : reservations.values()) {
            if (now.isBefore(r.expiresAt)) {
                out.add(view(r));
            }
        }
        out.sort(Comparator.comparing(Reservation::expiresAt));
        return out;
    }

    /** Marks whether {@code node} has its listening stream open; false if it holds no live reservation. */
    public synchronized boolean setListening(NodeId node, boolean listening) {
        Res r = live(node);
        if (r == null) {
            return false;
        }
        r.listening = listening;
        return true;
    }

    /**
     * Opens a circuit from {@code initiator} to {@code target} through the target's reservation: pending until the
     * target accepts it ({@link #accept}) or the accept deadline passes ({@link #sweep()}).
     */
    public synchronized OpenOutcome openCircuit(NodeId initiator, NodeId target) {
        if (initiator.equals(target)) {
            return refuse(CircuitRefusal.SELF, "a node cannot open a circuit to itself");
        }
        Res r = live(target);
        if (r == null) {
            return refuse(CircuitRefusal.NO_RESERVATION, "node " + target.toHex() + " holds no reservation on this "
                    + "relay; ask it (or the DHT) for its current relayed candidates");
        }
        if (!r.listening) {
            return refuse(CircuitRefusal.NOT_LISTENING, "node " + target.toHex() + " holds a reservation here but "
                    + "has no Listen stream open, so it cannot be told about the circuit; try again shortly");
        }
        OpenOutcome full = circuitQuota(target, true);
        if (full != null) {
            return full;
        }
        return pending(initiator, target, r);
    }

    /**
     * Starts a circuit to a node at an address (TURN-style, {@code ConnectOpen.target_host}), counted against the
     * total: pending until the adapter has dialled and checked the target ({@link #connected}) or gives up
     * ({@link #abandon}).
     */
    public synchronized OpenOutcome openAddressCircuit(NodeId initiator, NodeId target) {
        if (initiator.equals(target)) {
            return refuse(CircuitRefusal.SELF, "a node cannot open a circuit to itself");
        }
        OpenOutcome full = circuitQuota(target, false);
        return full != null ? full : pending(initiator, target, null);
    }

    private OpenOutcome circuitQuota(NodeId target, boolean perReservation) {
        if (limits.maxCircuits() > 0 && circuits.size() >= limits.maxCircuits()) {
            return refuse(CircuitRefusal.TOTAL_LIMIT, "this relay carries its maximum of " + limits.maxCircuits()
                    + " circuits (p2p.relay.max-circuits); try another relay or later");
        }
        if (perReservation && limits.maxCircuitsPerReservation() > 0
                && perTarget.getOrDefault(target, 0) >= limits.maxCircuitsPerReservation()) {
            return refuse(CircuitRefusal.TARGET_LIMIT, "node " + target.toHex() + " already has "
                    + limits.maxCircuitsPerReservation() + " circuits through this relay, the most allowed per "
                    + "reservation (p2p.relay.max-circuits-per-reservation); reuse an open circuit");
        }
        return null;
    }

    private OpenOutcome pending(NodeId initiator, NodeId target, Res r) {
        CircuitId id;
        do {
            id = CircuitId.random(random);
        } while (circuits.containsKey(id));
        Instant acceptBy = clock.instant().plus(limits.acceptTimeout());
        circuits.put(id, new Circ(id, initiator, target, acceptBy, r));
        perTarget.merge(target, 1, Integer::sum);
        return new OpenOutcome.Pending(id, acceptBy);
    }

    private OpenOutcome refuse(CircuitRefusal reason, String message) {
        circuitRefusals.merge(reason, 1L, Long::sum);
        return new OpenOutcome.Refused(reason, message);
    }

    /**
     * The target accepts a pending circuit: it opens, with its budget running from now. Unknown, expired or
     * someone else's circuits are all refused alike, revealing nothing about circuits of other nodes.
     */
    public synchronized AcceptOutcome accept(CircuitId id, NodeId acceptor) {
        Circ c = circuits.get(id);
        if (c == null || c.open != null || c.reservation == null || !c.target.equals(acceptor)
                || !clock.instant().isBefore(c.acceptBy)) {
            circuitRefusals.merge(CircuitRefusal.UNKNOWN_CIRCUIT, 1L, Long::sum);
            return new AcceptOutcome.Refused(CircuitRefusal.UNKNOWN_CIRCUIT, "no circuit " + id.toHex()
                    + " waits for node " + acceptor.toHex() + " (unknown, already accepted, or its accept deadline "
                    + "passed); accept only circuits announced on your Listen stream, within accept_by_unix_ms");
        }
        return new AcceptOutcome.Accepted(open(c, c.reservation.bytes));
    }

    /** The adapter dialled and checked the target of an address circuit: it opens. */
    public synchronized AcceptOutcome connected(CircuitId id) {
        Circ c = circuits.get(id);
        if (c == null || c.open != null || c.reservation != null) {
            return new AcceptOutcome.Refused(CircuitRefusal.ACCEPT_TIMEOUT, "circuit " + id.toHex()
                    + " timed out while the relay dialled its target");
        }
        return new AcceptOutcome.Accepted(open(c, null));
    }

    private Circuit open(Circ c, LongAdder reservationBytes) {
        Duration maxDuration = limits.circuitMaxDuration();
        c.open = new Circuit(c.id, c.initiator, c.target, new CircuitBudget(limits.circuitMaxBytes(), maxDuration,
                clock.instant(), reservationBytes, bytesRelayed));
        opened++;
        return c.open;
    }

    /** A pending circuit that will not open (initiator gone, target unreachable); counted as refused for {@code reason}. */
    public synchronized void abandon(CircuitId id, CircuitRefusal reason) {
        Circ c = circuits.get(id);
        if (c != null && c.open == null) {
            remove(c);
            circuitRefusals.merge(reason, 1L, Long::sum);
        }
    }

    /** An open or pending circuit ends; false if it had already ended (e.g. removed by {@link #sweep()}). */
    public synchronized boolean close(CircuitId id, CloseReason reason) {
        Circ c = circuits.get(id);
        if (c == null) {
            return false;
        }
        remove(c);
        if (c.open != null && reason == CloseReason.OVER_BYTES) {
            overBytes++;
        } else if (c.open != null && reason == CloseReason.OVER_TIME) {
            overTime++;
        }
        return true;
    }

    /**
     * Removes what expired by now: reservations past their lifetime (their circuits stay open, each within its own
     * budget), pending circuits past their accept deadline, open circuits past their time budget.
     */
    public synchronized Sweep sweep() {
        Instant now = clock.instant();
        List<NodeId> expired = new ArrayList<>();
        for (Iterator<Res> it = reservations.values().iterator(); it.hasNext(); ) {
            Res r = it.next();
            if (!now.isBefore(r.expiresAt)) {
                it.remove();
                perSource.merge(r.source, -1, (a, b) -> a + b == 0 ? null : a + b);
                expired.add(r.node);
            }
        }
        List<CircuitId> timedOut = new ArrayList<>();
        List<CircuitId> over = new ArrayList<>();
        for (Circ c : List.copyOf(circuits.values())) {
            if (c.open == null && !now.isBefore(c.acceptBy)) {
                remove(c);
                circuitRefusals.merge(c.reservation == null ? CircuitRefusal.TARGET_UNREACHABLE
                        : CircuitRefusal.ACCEPT_TIMEOUT, 1L, Long::sum);
                timedOut.add(c.id);
            } else if (c.open != null && c.open.budget().overTime(now)) {
                remove(c);
                overTime++;
                over.add(c.id);
            }
        }
        return new Sweep(expired, timedOut, over);
    }

    private void remove(Circ c) {
        circuits.remove(c.id);
        perTarget.merge(c.target, -1, (a, b) -> a + b == 0 ? null : a + b);
    }

    /** Counts a DialBack request served. */
    public synchronized void recordDialBack() {
        dialBacks++;
    }

    /** Counts one hole-punch attempt and whether it produced a direct connection. */
    public synchronized void recordHolePunch(boolean success) {
        holePunchAttempts++;
        if (success) {
            holePunchSuccesses++;
        }
    }

    /** Bytes relayed since start, both directions (lock-free; for a metrics gauge). */
    public long bytesRelayed() {
        return bytesRelayed.sum();
    }

    public synchronized Stats stats() {
        int active = 0;
        for (Circ c : circuits.values()) {
            if (c.open != null) {
                active++;
            }
        }
        long resRefused = reservationRefusals.values().stream().mapToLong(Long::longValue).sum();
        long circRefused = circuitRefusals.values().stream().mapToLong(Long::longValue).sum();
        return new Stats(reservations.size(), granted, resRefused, Map.copyOf(reservationRefusals), active,
                circuits.size() - active, opened, circRefused, Map.copyOf(circuitRefusals), overBytes, overTime,
                bytesRelayed.sum(), dialBacks, holePunchAttempts, holePunchSuccesses);
    }

    private Res live(NodeId node) {
        Res r = reservations.get(node);
        return r != null && clock.instant().isBefore(r.expiresAt) ? r : null;
    }

    private Reservation view(Res r) {
        int open = 0;
        for (Circ c : circuits.values()) {
            if (c.open != null && c.target.equals(r.node)) {
                open++;
            }
        }
        return new Reservation(r.node, r.source, r.sourceIp, r.grantedAt, r.expiresAt, r.listening, open,
                r.bytes.sum());
    }
}
