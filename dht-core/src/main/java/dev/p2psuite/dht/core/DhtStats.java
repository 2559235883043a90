package dev.p2psuite.dht.core;

/** Counters and state for the internal API (p2p.dht.v1.StatsResponse, same meanings). */
public record DhtStats(BootstrapState bootstrapState, boolean ready, int routingTableSize, int bucketsUsed,
                       long recordsStored, long providerRecordsStored, long keysProvided, long lookupsStarted,
                       long lookupsSucceeded, long rpcsSent, long rpcsFailed, long rpcsReceived, long recordsRejected,
                       long pexSent, long pexReceived, long pexRecordsDropped, long startedUnixMs) {
}
