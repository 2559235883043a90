/**
 * A deterministic discrete-event simulator running the real {@link dev.p2psuite.dht.core.DhtNode} for thousands of
 * nodes in one JVM: virtual time ({@link dev.p2psuite.dht.sim.SimTime}, {@link dev.p2psuite.dht.sim.EventLoop}),
 * a network with latency, loss, churn and partitions ({@link dev.p2psuite.dht.sim.SimNetwork}), lying nodes
 * ({@link dev.p2psuite.dht.sim.SimNode.Behaviour}), whole networks with their ground truth
 * ({@link dev.p2psuite.dht.sim.SimCluster}) and the {@code bench/dht-sim} entry point
 * ({@link dev.p2psuite.dht.sim.DhtSimulation}).
 *
 * <p>A run is a function of its options and seed (including the number of simulation threads): each partition's
 * events run in a fixed order and partitions exchange events only at window boundaries.
 */
package dev.p2psuite.dht.sim;
