package dev.p2psuite.relay.core;

import dev.p2psuite.identity.Candidate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The responder's side of a DCUtR-style hole-punch exchange (libp2p DCUtR spec; relay_peer.proto
 * {@code HolePunch}), as a state machine without I/O. Per attempt: the initiator sends CONNECT (its addresses)
 * and starts its clock; the responder answers CONNECT (its own); the initiator, knowing the round trip, sends SYNC
 * and dials {@code rtt/2 + dial_delay} later, while the responder dials {@code dial_delay} after receiving SYNC,
 * so both dials leave at about the same moment and each NAT sees an outbound packet before the other's inbound one.
 * Each side then reports its RESULT. Up to {@value #MAX_ATTEMPTS} attempts; a success ends the exchange.
 *
 * <p>Not thread-safe: one exchange is driven from one thread.
 */
public final class HolePunchResponder {

    /** DCUtR retries up to 3 times. */
    public static final int MAX_ATTEMPTS = 3;
    /** relay_peer.proto: at most 8 candidates per CONNECT. */
    public static final int MAX_CANDIDATES = 8;
    /** Longest dial delay accepted; a peer asking for more would hold the responder's resources for nothing. */
    public static final Duration MAX_DIAL_DELAY = Duration.ofSeconds(10);

    /** Where the exchange is. */
    public enum Phase { AWAIT_CONNECT, AWAIT_SYNC, DIALING, DONE }

    /** A frame that breaks the protocol; the adapter ends the exchange with INVALID_ARGUMENT and this message. */
    public static final class ProtocolException extends Exception {
        public ProtocolException(String message) {
            super(message);
        }
    }

    private Phase phase = Phase.AWAIT_CONNECT;
    private int attempt = 1;
    private Boolean localResult;
    private Boolean remoteResult;
    private boolean succeeded;
    private List<Candidate> remoteCandidates = List.of();

    public Phase phase() {
        return phase;
    }

    /** The current attempt, 1..{@value #MAX_ATTEMPTS}. */
    public int attempt() {
        return attempt;
    }

    /** True once an attempt produced a direct connection (by either side's account). */
    public boolean succeeded() {
        return succeeded;
    }

    /** The initiator's candidates of the current attempt, RELAYED ones dropped. */
    public List<Candidate> remoteCandidates() {
        return remoteCandidates;
    }

    /**
     * The initiator's CONNECT: the adapter answers with its own candidates. RELAYED candidates are ignored (a hole
     * punch is about direct paths).
     *
     * @return the candidates to dial later
     */
    public List<Candidate> onConnect(List<Candidate> candidates) throws ProtocolException {
        expect(Phase.AWAIT_CONNECT, "connect");
        if (candidates.size() > MAX_CANDIDATES) {
            throw new ProtocolException("connect.candidates has " + candidates.size() + " entries, at most "
                    + MAX_CANDIDATES + " allowed");
        }
        List<Candidate> direct = new ArrayList<>();
        for (Candidate c : candidates) {
            if (c.kind() != Candidate.Kind.RELAYED) {
                direct.add(c);
            }
        }
        remoteCandidates = List.copyOf(direct);
        phase = Phase.AWAIT_SYNC;
        return remoteCandidates;
    }

    /**
     * The initiator's SYNC: dial its candidates after the returned delay (its {@code dial_delay_ms}).
     */
    public Duration onSync(long rttMs, long dialDelayMs, int syncAttempt) throws ProtocolException {
        expect(Phase.AWAIT_SYNC, "sync");
        if (syncAttempt != attempt) {
            throw new ProtocolException("sync.attempt is " + syncAttempt + " but this is attempt " + attempt);
        }
        if (rttMs < 0 || dialDelayMs < 0 || dialDelayMs > MAX_DIAL_DELAY.toMillis()) {
            throw new ProtocolException("sync.dial_delay_ms must be 0.." + MAX_DIAL_DELAY.toMillis() + ", got "
                    + dialDelayMs);
        }
        phase = Phase.DIALING;
        localResult = null;
        remoteResult = null;
        return Duration.ofMillis(dialDelayMs);
    }

    /** The responder's own dial finished; the adapter sends RESULT for {@link #attempt()} before calling this. */
    public void onLocalResult(boolean success) throws ProtocolException {
        expect(Phase.DIALING, "a local result");
        if (localResult != null) {
            throw new ProtocolException("attempt " + attempt + " already has a local result");
        }
        localResult = success;
        settle();
    }

    /** The initiator's RESULT; it may come before or after the responder's own. */
    public void onRemoteResult(int resultAttempt, boolean success) throws ProtocolException {
        expect(Phase.DIALING, "result");
        if (resultAttempt != attempt || remoteResult != null) {
            throw new ProtocolException("result.attempt is " + resultAttempt + " but attempt " + attempt
                    + (remoteResult != null ? " already has the initiator's result" : " is under way"));
        }
        remoteResult = success;
        settle();
    }

    private void settle() {
        if (localResult == null || remoteResult == null) {
            return;
        }
        if (localResult || remoteResult) {
            succeeded = true;
            phase = Phase.DONE;
        } else if (attempt < MAX_ATTEMPTS) {
            attempt++;
            phase = Phase.AWAIT_CONNECT;
        } else {
            phase = Phase.DONE;
        }
    }

    private void expect(Phase wanted, String frame) throws ProtocolException {
        if (phase != wanted) {
            throw new ProtocolException("frame out of order: got " + frame + " while "
                    + phase.name().toLowerCase().replace('_', ' ') + " (attempt " + attempt + ")");
        }
    }

    /**
     * When the initiator dials after sending SYNC: half the measured round trip (the SYNC's way to the responder)
     * plus the agreed delay, so that both dials start together.
     */
    public static Duration initiatorDialDelay(long rttMs, long dialDelayMs) {
        return Duration.ofMillis(Math.max(0, rttMs) / 2 + Math.max(0, dialDelayMs));
    }
}
