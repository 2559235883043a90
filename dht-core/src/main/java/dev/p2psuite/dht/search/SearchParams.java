package dev.p2psuite.dht.search;

import static dev.p2psuite.dht.search.SearchLimits.DEFAULT_SEARCH_HITS;
import static dev.p2psuite.dht.search.SearchLimits.DEFAULT_TIMEOUT_MS;
import static dev.p2psuite.dht.search.SearchLimits.MAX_SEARCH_HITS;
import static dev.p2psuite.dht.search.SearchLimits.MAX_TIMEOUT_MS;
import static dev.p2psuite.dht.search.SearchLimits.MAX_TTL;

import java.util.List;

/** A search this node originates (search_internal.proto SearchRequest), defaults applied, valid by construction. */
public record SearchParams(List<String> terms, int ttl, int maxHits, long timeoutMs) {

    public SearchParams {
        terms = List.copyOf(terms);
    }

    /**
     * Numbers are the wire's uint32 values widened without sign; 0 means the default.
     *
     * @throws dev.p2psuite.dht.core.DhtRejection INVALID_ARGUMENT naming the field and the limit
     */
    public static SearchParams of(List<String> terms, long ttl, long maxHits, long timeoutMs, int defaultTtl) {
        Query.checkTerms(terms);
        if (ttl > MAX_TTL) {
            throw Query.invalid("ttl must be 0.." + MAX_TTL + " (0 = " + defaultTtl + "), got " + ttl);
        }
        if (maxHits > MAX_SEARCH_HITS) {
            throw Query.invalid("max_hits must be 0.." + MAX_SEARCH_HITS + " (0 = " + DEFAULT_SEARCH_HITS + "), got "
                    + maxHits);
        }
        if (timeoutMs > MAX_TIMEOUT_MS) {
            throw Query.invalid("timeout_ms must be 0.." + MAX_TIMEOUT_MS + " (0 = " + DEFAULT_TIMEOUT_MS + "), got "
                    + timeoutMs);
        }
        return new SearchParams(terms, ttl == 0 ? defaultTtl : (int) ttl,
                maxHits == 0 ? DEFAULT_SEARCH_HITS : (int) maxHits, timeoutMs == 0 ? DEFAULT_TIMEOUT_MS : timeoutMs);
    }
}
