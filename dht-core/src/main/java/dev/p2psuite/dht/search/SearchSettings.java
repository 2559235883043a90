package dev.p2psuite.dht.search;

import java.time.Duration;
import java.util.Objects;

/**
 * The tunable part of flood search; the contract's fixed limits are in {@link SearchLimits}.
 *
 * @param defaultTtl              TTL of an originated query when none is asked (1..7; Gnutella 0.6 used 7, 4
 *                                reaches thousands of nodes at 8 neighbours)
 * @param neighbours              size of the neighbour set queries are flooded to
 * @param forwardRatePerNeighbour queries a second forwarded to any one neighbour at most (burst: one second's worth)
 * @param forwardRateTotal        queries a second forwarded in total at most (burst: one second's worth)
 * @param queryRatePerPeer        Query calls a second one peer may make here before RESOURCE_EXHAUSTED (burst:
 *                                twice that, since network jitter bunches a neighbour's evenly paced forwards)
 * @param duplicateMemory         how long a query ID is remembered (search_peer.proto: 10 min)
 * @param hopMargin               each hop ends its stream this long before its caller's deadline, so its last hits
 *                                still reach the caller; a forwarded copy gets that earlier end as its deadline
 * @param neighbourRefresh        how often the neighbour set is re-checked against the routing table
 * @param liveWindow              a contact heard from within this is preferred as a neighbour
 */
public record SearchSettings(int defaultTtl, int neighbours, double forwardRatePerNeighbour, double forwardRateTotal,
                             double queryRatePerPeer, Duration duplicateMemory, Duration hopMargin,
                             Duration neighbourRefresh, Duration liveWindow) {

    public SearchSettings {
        if (defaultTtl < 1 || defaultTtl > SearchLimits.MAX_TTL) {
            throw new IllegalArgumentException("default TTL must be 1.." + SearchLimits.MAX_TTL + ", got " + defaultTtl);
        }
        if (neighbours < 1) {
            throw new IllegalArgumentException("neighbours must be at least 1, got " + neighbours);
        }
        if (!(forwardRatePerNeighbour > 0) || !(forwardRateTotal > 0) || !(queryRatePerPeer > 0)) {
            throw new IllegalArgumentException("search rates must be positive");
        }
        Objects.requireNonNull(duplicateMemory, "duplicateMemory");
        Objects.requireNonNull(hopMargin, "hopMargin");
        Objects.requireNonNull(neighbourRefresh, "neighbourRefresh");
        Objects.requireNonNull(liveWindow, "liveWindow");
        if (hopMargin.isNegative()) {
            throw new IllegalArgumentException("hop margin must not be negative");
        }
    }

    /** The service defaults (search_peer.proto limits; 8 neighbours). */
    public static SearchSettings defaults() {
        return new SearchSettings(SearchLimits.DEFAULT_TTL, 8, 10, 100, 10, SearchLimits.DUPLICATE_MEMORY,
                Duration.ofMillis(250), Duration.ofSeconds(30), Duration.ofMinutes(15));
    }

    public SearchSettings withDefaultTtl(int v) {
        return new SearchSettings(v, neighbours, forwardRatePerNeighbour, forwardRateTotal, queryRatePerPeer,
                duplicateMemory, hopMargin, neighbourRefresh, liveWindow);
    }

    public SearchSettings withNeighbours(int v) {
        return new SearchSettings(defaultTtl, v, forwardRatePerNeighbour, forwardRateTotal, queryRatePerPeer,
                duplicateMemory, hopMargin, neighbourRefresh, liveWindow);
    }

    public SearchSettings withForwardRates(double perNeighbour, double total) {
        return new SearchSettings(defaultTtl, neighbours, perNeighbour, total, queryRatePerPeer, duplicateMemory,
                hopMargin, neighbourRefresh, liveWindow);
    }

    public SearchSettings withQueryRatePerPeer(double v) {
        return new SearchSettings(defaultTtl, neighbours, forwardRatePerNeighbour, forwardRateTotal, v,
                duplicateMemory, hopMargin, neighbourRefresh, liveWindow);
    }

    public SearchSettings withHopMargin(Duration v) {
        return new SearchSettings(defaultTtl, neighbours, forwardRatePerNeighbour, forwardRateTotal, queryRatePerPeer,
                duplicateMemory, v, neighbourRefresh, liveWindow);
    }

    public SearchSettings withDuplicateMemory(Duration v) {
        return new SearchSettings(defaultTtl, neighbours, forwardRatePerNeighbour, forwardRateTotal, queryRatePerPeer,
                v, hopMargin, neighbourRefresh, liveWindow);
    }

    public SearchSettings withNeighbourRefresh(Duration v) {
        return new SearchSettings(defaultTtl, neighbours, forwardRatePerNeighbour, forwardRateTotal, queryRatePerPeer,
                duplicateMemory, hopMargin, v, liveWindow);
    }
}
