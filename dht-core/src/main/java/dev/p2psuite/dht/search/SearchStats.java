package dev.p2psuite.dht.search;

/** Search counters since start (search_internal.proto StatsResponse), plus refusals over the caller's rate. */
public record SearchStats(long indexedContents, int neighbours, long queriesOriginated, long queriesReceived,
                          long queriesDuplicate, long queriesForwarded, long queriesRateLimited, long queriesInvalid,
                          long hitsReturned, long hitsDropped, long queriesRefusedOverRate) {
}
