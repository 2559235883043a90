package dev.p2psuite.dht;

import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.DhtStats;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the routing table holds the configured minimum of live contacts, or in explicit single-node mode. */
@Readiness
@ApplicationScoped
public class DhtReadiness implements HealthCheck {

    private final DhtRuntime runtime;

    DhtReadiness(DhtRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public HealthCheckResponse call() {
        DhtNode node = runtime.node().orElse(null);
        if (node == null) {
            return HealthCheckResponse.named("dht").down().withData("state", runtime.startupState()).build();
        }
        DhtStats stats = node.stats();
        return HealthCheckResponse.named("dht").status(stats.ready())
                .withData("bootstrap", stats.bootstrapState().name())
                .withData("contacts", stats.routingTableSize())
                .build();
    }
}
