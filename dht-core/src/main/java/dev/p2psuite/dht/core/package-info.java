/**
 * Kademlia as pure Java (no gRPC, Quarkus or Infinispan): {@link dev.p2psuite.dht.core.RoutingTable} (k-buckets,
 * ping-before-evict, replacement caches, IP diversity), {@link dev.p2psuite.dht.core.Lookup} (the iterative lookup as
 * an I/O-free state machine), {@link dev.p2psuite.dht.core.RecordStore} (value and provider rules) and
 * {@link dev.p2psuite.dht.core.DhtNode}, which runs them over a {@link dev.p2psuite.dht.core.PeerRpc} with time
 * ({@link java.time.InstantSource}), randomness ({@link java.util.random.RandomGenerator}) and timers
 * ({@link dev.p2psuite.dht.core.Scheduler}) injected.
 *
 * <h2>Where records are verified</h2>
 * <ul>
 *   <li>Signed peer records (every {@link dev.p2psuite.dht.core.Contact}): by the {@code PeerRpc} implementation and
 *   the inbound adapter, before a contact reaches the core; forged entries of a list are dropped one by one. The core
 *   additionally drops PEX entries whose contact ID differs from their record's, and admits PEX contacts to its
 *   table only after they answer a ping as themselves.</li>
 *   <li>Value records: by the core itself, with the publisher's key, size bound and expiry, on every inbound STORE
 *   ({@code RecordStore.putValue}), on every FIND_VALUE answer before a get accepts it ({@code DhtNode.get}: a forged
 *   answer counts as a failure of that peer and the lookup goes on), and on {@code DhtNode.restore}.</li>
 * </ul>
 *
 * <h2>Threading</h2>
 * {@code DhtNode} confines its state to one serial executor; its public methods may be called from any thread and
 * return futures. {@code RoutingTable}, {@code Lookup} and {@code RecordStore} are not thread-safe on their own.
 */
package dev.p2psuite.dht.core;
