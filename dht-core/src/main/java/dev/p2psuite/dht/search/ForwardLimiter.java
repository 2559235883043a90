package dev.p2psuite.dht.search;

import dev.p2psuite.identity.NodeId;

/**
 * The forwarding budget that keeps a flood from amplifying traffic (search_peer.proto limits): at most
 * {@code perNeighbour} queries a second to any one neighbour and {@code total} a second overall, each with a burst
 * of one second's worth. A forward takes a token from both buckets or from neither. Thread-safe.
 */
public final class ForwardLimiter {

    /** Neighbour buckets kept at most (neighbour sets change over time; old buckets are full and forgettable). */
    static final int MAX_TRACKED_NEIGHBOURS = 1_024;

    private final KeyedRateLimiter<NodeId> perNeighbour;
    private final TokenBucket total;

    public ForwardLimiter(double perNeighbourPerSecond, double totalPerSecond, long nowMs) {
        this.perNeighbour = new KeyedRateLimiter<>(perNeighbourPerSecond, Math.max(1, perNeighbourPerSecond),
                MAX_TRACKED_NEIGHBOURS);
        this.total = new TokenBucket(totalPerSecond, Math.max(1, totalPerSecond), nowMs);
    }

    /** Takes one forward to {@code neighbour} from both budgets if both allow it. */
    public synchronized boolean tryForward(NodeId neighbour, long nowMs) {
        if (!total.available(nowMs) || !perNeighbour.available(neighbour, nowMs)) {
            return false;
        }
        total.tryTake(nowMs);
        perNeighbour.tryTake(neighbour, nowMs);
        return true;
    }
}
