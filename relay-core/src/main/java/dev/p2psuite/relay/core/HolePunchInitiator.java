package dev.p2psuite.relay.core;

import dev.p2psuite.identity.Candidate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The initiator's side of a DCUtR-style hole punch (libp2p DCUtR spec; relay_peer.proto {@code HolePunch}), as a
 * state machine without I/O. Per attempt: send CONNECT and start the clock; on the responder's CONNECT the round
 * trip is known; send SYNC and dial {@code rtt/2 + dial_delay} later (the SYNC's way to the responder), so that both
 * dials leave at about the same moment; then exchange RESULTs. Up to {@value HolePunchResponder#MAX_ATTEMPTS}
 * attempts (DCUtR); the exchange ends at the first attempt whose connection the initiator proved.
 *
 * <p>Not thread-safe: one exchange is driven from one thread.
 */
public final class HolePunchInitiator {

    /** DCUtR: the responder dials as soon as SYNC arrives. */
    public static final long DIAL_DELAY_MS = 0;
    /** How long to wait for the responder's CONNECT or RESULT before giving the exchange up. */
    public static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);

    /** Where the exchange is. */
    public enum Phase { SEND_CONNECT, AWAIT_CONNECT, DIALING, DONE }

    private Phase phase = Phase.SEND_CONNECT;
    private int attempt = 1;
    private long connectSentNanos;
    private long rttMs;
    private boolean succeeded;

    public Phase phase() {
        return phase;
    }

    /** The current attempt, 1..{@value HolePunchResponder#MAX_ATTEMPTS}. */
    public int attempt() {
        return attempt;
    }

    public boolean succeeded() {
        return succeeded;
    }

    /** Round trip of the current attempt's CONNECT exchange, ms. */
    public long rttMs() {
        return rttMs;
    }

    /** CONNECT went out at {@code nanos} (monotonic clock). */
    public void connectSent(long nanos) {
        expect(Phase.SEND_CONNECT);
        connectSentNanos = nanos;
        phase = Phase.AWAIT_CONNECT;
    }

    /**
     * The responder's CONNECT arrived at {@code nanos}: the round trip is measured (DCUtR: "RTT between sending
     * CONNECT and receiving CONNECT").
     *
     * @return how long after sending SYNC this side dials
     */
    public Duration connectReceived(long nanos) {
        expect(Phase.AWAIT_CONNECT);
        rttMs = Math.max(0, (nanos - connectSentNanos) / 1_000_000);
        phase = Phase.DIALING;
        return HolePunchResponder.initiatorDialDelay(rttMs, DIAL_DELAY_MS);
    }

    /**
     * This side's outcome of the attempt (a punched connection on which PeerAuth proved the target).
     *
     * @return true if another attempt follows (start again with {@link #connectSent})
     */
    public boolean attemptDone(boolean proved) {
        expect(Phase.DIALING);
        if (proved) {
            succeeded = true;
            phase = Phase.DONE;
            return false;
        }
        if (attempt < HolePunchResponder.MAX_ATTEMPTS) {
            attempt++;
            phase = Phase.SEND_CONNECT;
            return true;
        }
        phase = Phase.DONE;
        return false;
    }

    private void expect(Phase wanted) {
        if (phase != wanted) {
            throw new IllegalStateException("hole punch is " + phase + ", not " + wanted + " (attempt " + attempt + ")");
        }
    }

    /**
     * The addresses to announce for a punch from local port {@code port}: each direct candidate's IP with that
     * port, RELAYED ones dropped, duplicates removed, at most {@value HolePunchResponder#MAX_CANDIDATES}. Holds for
     * host candidates and, behind a port-preserving NAT, for server-reflexive ones (the NAT maps the punch port to
     * the same public port, RFC 4787 "port preservation"); behind a symmetric NAT the announced port is wrong and the
     * punch fails, as it must (RFC 8445 §2: such peers need a relay).
     */
    public static List<Candidate> onPunchPort(List<Candidate> direct, int port) {
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("punch port must be 1..65535, got " + port);
        }
        LinkedHashSet<Candidate> out = new LinkedHashSet<>();
        for (Candidate c : direct) {
            if (c.kind() != Candidate.Kind.RELAYED && out.size() < HolePunchResponder.MAX_CANDIDATES) {
                out.add(new Candidate(c.kind(), c.host(), port, null));
            }
        }
        return new ArrayList<>(out);
    }
}
