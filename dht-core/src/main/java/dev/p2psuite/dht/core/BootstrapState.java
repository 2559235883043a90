package dev.p2psuite.dht.core;

/** Where joining the network stands (p2p.dht.v1.BootstrapState). */
public enum BootstrapState {
    /** No bootstrap node answered yet; retrying with backoff. */
    CONNECTING,
    /** A bootstrap node answered; looking up the own ID and refreshing buckets (or below the ready minimum). */
    JOINING,
    /** Joined, and the routing table holds at least the configured minimum of contacts. */
    JOINED,
    /** Configured without bootstrap nodes: the first node of a network. */
    STANDALONE
}
