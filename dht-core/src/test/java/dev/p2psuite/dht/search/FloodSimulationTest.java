package dev.p2psuite.dht.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.dht.sim.search.FloodSimulation;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real engine on 200 simulated nodes joined through the real DHT (what bench/flood runs, smaller). */
class FloodSimulationTest {

    private static FloodSimulation.Options options(int nodes, long seed, int queries, List<Integer> ttls) {
        return new FloodSimulation.Options(nodes, seed, queries, 30, 0.02, 8, ttls, 10, 100, 5_000, 500, 250);
    }

    @Test
    void recallAndCostGrowWithTheTtlAndTtlFourFindsAlmostEveryHolder() {
        List<FloodSimulation.Report> r = FloodSimulation.run(options(200, 3, 40, List.of(2, 3, 4)), msg -> { });
        assertThat(r).extracting(FloodSimulation.Report::ttl).containsExactly(2, 3, 4);
        assertThat(r.get(0).recall()).isLessThan(r.get(1).recall());
        assertThat(r.get(1).recall()).isLessThan(r.get(2).recall());
        assertThat(r.get(2).recall()).isGreaterThan(0.9);
        assertThat(r.get(0).msgsPerQuery()).isLessThan(r.get(1).msgsPerQuery());
        assertThat(r.get(1).msgsPerQuery()).isLessThan(r.get(2).msgsPerQuery());
        // Flooding costs at most (neighbours - 1) forwards per node reached, plus the asker's own.
        assertThat(r.get(2).msgsPerQuery()).isLessThan(8 + 7 * 200);
        assertThat(r).allSatisfy(x -> {
            assertThat(x.dropped()).isZero();
            assertThat(x.rateLimited()).isZero();
            assertThat(x.hitsP50Ms()).isGreaterThan(0).isLessThan(5_000);
        });
    }

    @Test
    void aRunIsAFunctionOfItsSeed() {
        FloodSimulation.Options o = options(100, 5, 15, List.of(3));
        List<String> a = FloodSimulation.run(o, msg -> { }).stream().map(FloodSimulation.Report::line).toList();
        List<String> b = FloodSimulation.run(o, msg -> { }).stream().map(FloodSimulation.Report::line).toList();
        assertThat(a).isEqualTo(b);
    }
}
