package dev.p2psuite.dht.search;

import dev.p2psuite.dht.core.Contact;
import java.util.List;

/**
 * SearchPeer.Query to a neighbour, behind an interface so the same engine runs over gRPC, in the simulator, or
 * against lying test peers (DESIGN.md 3.4). Listener callbacks may come from any thread, in stream order.
 */
public interface SearchRpc {

    /** Sends {@code query} to {@code neighbour}, with a deadline (unix ms); its hits stream to {@code listener}. */
    Call query(Contact neighbour, Query query, long deadlineUnixMs, Listener listener);

    /** A running call; cancelling it also ends the neighbour's own forwards (cancellation propagates). */
    interface Call {
        void cancel();
    }

    interface Listener {
        /** Hits as received, unchecked (the engine verifies them). */
        void onHits(List<Hit> hits);

        /** The stream ended: null on success, else the failure ({@link Unreachable} if the peer could not be reached). */
        void onEnd(Throwable failure);
    }

    /** The neighbour could not be reached (the engine replaces it). */
    final class Unreachable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Unreachable(String message) {
            super(message, null, false, false);
        }
    }
}
