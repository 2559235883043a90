package dev.p2psuite.dht.search;

import dev.p2psuite.dht.core.DhtRejection;
import java.util.List;

/**
 * Where a query's hits go (the caller's response stream, or the local asker). Called serially: {@link #hits} any
 * number of times, then exactly one of {@link #completed} or {@link #failed}; nothing after a cancel.
 */
public interface HitSink {

    /** 1..20 verified hits, their hops counted from the node this sink belongs to. */
    void hits(List<Hit> hits);

    void completed();

    void failed(DhtRejection rejection);
}
