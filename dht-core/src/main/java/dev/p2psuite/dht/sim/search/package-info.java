/**
 * Flood search in the deterministic simulator: {@link dev.p2psuite.dht.sim.search.SimSearchNetwork} runs the real
 * {@link dev.p2psuite.dht.search.FloodSearch} of every node of a {@link dev.p2psuite.dht.sim.SimCluster} (neighbours
 * from the real routing tables) over simulated streaming calls; {@link dev.p2psuite.dht.sim.search.FloodSimulation}
 * is the {@code bench/flood} entry point (recall, messages and hit latency per TTL).
 */
package dev.p2psuite.dht.sim.search;
