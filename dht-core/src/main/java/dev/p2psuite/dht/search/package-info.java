/**
 * Unstructured search beside the DHT (issue 7): Gnutella 0.6 style query flooding as pure Java (no gRPC, Quarkus
 * or protobuf), with time, timers and randomness injected so that the simulator runs the same code.
 *
 * <ul>
 *   <li>{@link dev.p2psuite.dht.search.MetadataIndex}: the metadata of the content this node holds and the term
 *   matching rule of {@code search_peer.proto}.</li>
 *   <li>{@link dev.p2psuite.dht.search.Query}, {@link dev.p2psuite.dht.search.SearchParams}: validation with precise
 *   messages (limits in {@link dev.p2psuite.dht.search.SearchLimits}).</li>
 *   <li>{@link dev.p2psuite.dht.search.SeenQueries} (duplicate suppression), {@link dev.p2psuite.dht.search.TokenBucket}
 *   and {@link dev.p2psuite.dht.search.KeyedRateLimiter} (forward and inbound rate limits),
 *   {@link dev.p2psuite.dht.search.NeighbourSelector} (the bounded neighbour set).</li>
 *   <li>{@link dev.p2psuite.dht.search.HitSignature}, {@link dev.p2psuite.dht.search.HitVerifier}: the signed hit
 *   bytes and their check, so nodes on the return path cannot forge or alter hits.</li>
 *   <li>{@link dev.p2psuite.dht.search.FloodSearch}: one node's engine over a {@link dev.p2psuite.dht.search.SearchRpc}.</li>
 * </ul>
 */
package dev.p2psuite.dht.search;
