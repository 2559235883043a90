package dev.p2psuite.relay.core;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.PeerRecord;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A node's gathered candidates and its reachability verdict (ICE gathering, RFC 8445 §5.1.1; libp2p AutoNAT).
 * Host candidates come from configuration or interfaces, server-reflexive ones from STUN binding responses
 * (RFC 8489) and peers' ObserveAddress answers, relayed ones from reservations held on relays (libp2p circuit
 * relay v2). Dial-back results verify candidates and decide the verdict. Not thread-safe: one owner thread.
 */
public final class CandidateBook {

    /** Where a candidate came from (relay_internal.proto {@code CandidateSource}). */
    public enum Source { INTERFACE, CONFIGURED, STUN, OBSERVED, RESERVATION }

    /** Reachability verdict (types.proto {@code Reachability}). */
    public enum Reachability { UNKNOWN, PUBLIC, PRIVATE }

    /**
     * Consecutive dial-back rounds in which no candidate was reached before a PUBLIC node is judged PRIVATE
     * (libp2p AutoNAT keeps a confidence of 3 before flipping a verdict). A node with no verdict yet becomes
     * PRIVATE after the first such round, so that it starts holding reservations at once.
     */
    public static final int FAILED_ROUNDS_TO_FLIP = 3;
    /** Local preference (RFC 8445 §5.1.2.1) of a candidate a dial-back reached. */
    static final int VERIFIED_LOCAL_PREFERENCE = 65_535;
    /** Local preference of a candidate not (yet) verified. */
    static final int UNVERIFIED_LOCAL_PREFERENCE = 32_767;

    /** One gathered candidate. */
    public record Entry(Candidate candidate, Source source, String reportedBy, boolean verified,
                        Instant lastConfirmed) {
        public Entry {
            Objects.requireNonNull(candidate, "candidate");
            Objects.requireNonNull(source, "source");
            reportedBy = reportedBy == null ? "" : reportedBy;
        }

        /** RFC 8445 §5.1.2.1 priority; verified candidates first within a kind. */
        public long priority() {
            return IcePriority.priority(candidate.kind(),
                    verified ? VERIFIED_LOCAL_PREFERENCE : UNVERIFIED_LOCAL_PREFERENCE);
        }
    }

    private static final Comparator<Entry> BY_PRIORITY = Comparator.comparingLong(Entry::priority).reversed();

    private final InstantSource clock;
    private final Duration staleAfter;
    /** Keyed by (kind, host, port): one entry per address. */
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private Reachability reachability = Reachability.UNKNOWN;
    private int failedRounds;

    /**
     * @param staleAfter how long a reflexive candidate stays without being reported again (a NAT mapping or a
     *                   public address may change; ICE restarts gathering for the same reason)
     */
    public CandidateBook(InstantSource clock, Duration staleAfter) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (staleAfter.isNegative() || staleAfter.isZero()) {
            throw new IllegalArgumentException("staleAfter must be positive, got " + staleAfter);
        }
        this.staleAfter = staleAfter;
    }

    private static String key(Candidate c) {
        return c.kind() + "|" + c.host() + "|" + c.port();
    }

    /** Replaces the host candidates (from configuration or interfaces); they never go stale. */
    public void setHosts(List<Candidate> hosts, Source source) {
        for (Candidate c : hosts) {
            if (c.kind() != Candidate.Kind.HOST) {
                throw new IllegalArgumentException("not a host candidate: " + c);
            }
        }
        Map<String, Entry> old = new LinkedHashMap<>(entries);
        entries.values().removeIf(e -> e.source() == Source.INTERFACE || e.source() == Source.CONFIGURED);
        for (Candidate c : hosts) {
            Entry before = old.get(key(c));
            entries.putIfAbsent(key(c), new Entry(c, source, "", before != null && before.verified(), clock.instant()));
        }
    }

    /** A server-reflexive address reported by a STUN server or a peer's ObserveAddress. */
    public void reflexive(Candidate c, Source source, String reportedBy) {
        if (c.kind() != Candidate.Kind.SERVER_REFLEXIVE || (source != Source.STUN && source != Source.OBSERVED)) {
            throw new IllegalArgumentException("a reflexive report needs a SERVER_REFLEXIVE candidate from STUN or "
                    + "OBSERVED, got " + c + " from " + source);
        }
        Entry old = entries.get(key(c));
        boolean verified = old != null && old.verified();
        if (old != null && old.source() == Source.STUN && source == Source.OBSERVED) {
            // Reported both ways: STUN (RFC 8489) measured this very mapping, the observation only confirms it.
            entries.put(key(c), new Entry(c, old.source(), old.reportedBy(), verified, clock.instant()));
            return;
        }
        entries.put(key(c), new Entry(c, source, reportedBy, verified, clock.instant()));
    }

    /** Replaces the relayed candidates by those of the reservations held now. */
    public void setRelayed(List<Candidate> relayed) {
        entries.values().removeIf(e -> e.source() == Source.RESERVATION);
        for (Candidate c : relayed) {
            if (c.kind() != Candidate.Kind.RELAYED) {
                throw new IllegalArgumentException("not a relayed candidate: " + c);
            }
            entries.put(key(c), new Entry(c, Source.RESERVATION, c.relay().toHex(), false, clock.instant()));
        }
    }

    /** The direct candidates (host and server-reflexive) a dial-back should try, highest priority first. */
    public List<Candidate> direct(int max) {
        sweep();
        return entries.values().stream().filter(e -> e.candidate().kind() != Candidate.Kind.RELAYED)
                .sorted(BY_PRIORITY).limit(max).map(Entry::candidate).toList();
    }

    /**
     * The outcome of one dial-back round (libp2p AutoNAT): {@code reached} are the candidates the peer reached
     * (proved by PeerAuth there), {@code unreached} those it dialled without success. Candidates it refused to
     * dial count for neither. Returns true if the verdict changed.
     */
    public boolean dialBackRound(List<Candidate> reached, List<Candidate> unreached) {
        Instant now = clock.instant();
        for (Candidate c : reached) {
            Entry e = entries.get(key(c));
            if (e != null) {
                entries.put(key(c), new Entry(e.candidate(), e.source(), e.reportedBy(), true, now));
            }
        }
        for (Candidate c : unreached) {
            Entry e = entries.get(key(c));
            if (e != null && e.verified()) {
                entries.put(key(c), new Entry(e.candidate(), e.source(), e.reportedBy(), false, e.lastConfirmed()));
            }
        }
        Reachability before = reachability;
        if (!reached.isEmpty()) {
            failedRounds = 0;
            reachability = Reachability.PUBLIC;
        } else if (!unreached.isEmpty()) {
            failedRounds++;
            if (reachability == Reachability.UNKNOWN || failedRounds >= FAILED_ROUNDS_TO_FLIP) {
                reachability = Reachability.PRIVATE;
            }
        }
        return before != reachability;
    }

    public Reachability reachability() {
        return reachability;
    }

    /** Every candidate, highest priority first (reflexive ones not reported for {@code staleAfter} dropped). */
    public List<Entry> entries() {
        sweep();
        List<Entry> out = new ArrayList<>(entries.values());
        out.sort(BY_PRIORITY);
        return out;
    }

    /** What the node's signed record should list: every candidate by priority, at most the record's maximum. */
    public List<Candidate> toPublish() {
        return entries().stream().limit(PeerRecord.MAX_CANDIDATES).map(Entry::candidate).toList();
    }

    private void sweep() {
        Instant cutoff = clock.instant().minus(staleAfter);
        entries.values().removeIf(e -> (e.source() == Source.STUN || e.source() == Source.OBSERVED)
                && e.lastConfirmed().isBefore(cutoff));
    }
}
