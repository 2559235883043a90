package dev.p2psuite.relay.bench;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link RelayThroughputBench} from Maven (skipped unless {@code -Drelay.bench=true}):
 * {@code mvn -B -o -pl relay-service test -Dtest=RelayThroughputBenchTest -Drelay.bench=true
 * [-Drelay.bench.mib=256 -Drelay.bench.rounds=5 -Drelay.bench.port=19300]}. A benchmark, not a test: it asserts
 * nothing about speed.
 */
class RelayThroughputBenchTest {

    @Test
    void relayedVersusDirectThroughput() throws Exception {
        assumeTrue(Boolean.getBoolean("relay.bench"), "benchmark: run with -Drelay.bench=true");
        String line = RelayThroughputBench.run(Path.of("target/quarkus-app/quarkus-run.jar"),
                Integer.getInteger("relay.bench.port", 19300),
                (long) Integer.getInteger("relay.bench.mib", 256) << 20,
                Integer.getInteger("relay.bench.rounds", 5),
                Integer.getInteger("relay.bench.frame", 262_144),
                System.getProperty("relay.bench.jvm-opts", "-Xms16m -Xmx256m -XX:+UseSerialGC"));
        System.out.println(line);
    }
}
