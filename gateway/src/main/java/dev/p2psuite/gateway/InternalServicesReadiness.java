package dev.p2psuite.gateway;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import dev.p2psuite.proto.dht.v1.DhtInternalGrpc;
import dev.p2psuite.proto.dht.v1.StatsRequest;
import dev.p2psuite.proto.dht.v1.StatsResponse;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * The gateway is ready only when every service of its node answers gRPC health with SERVING and the node's
 * DHT has joined the network (or runs in explicit single-node mode): a node that cannot find anyone is not
 * ready to serve.
 */
@Readiness
@ApplicationScoped
public class InternalServicesReadiness implements HealthCheck {

    /** How long one health probe of an internal service may take before it counts as not serving. */
    static final long PROBE_TIMEOUT_MS = 1_000;

    private final InternalServices services;

    InternalServicesReadiness(InternalServices services) {
        this.services = services;
    }

    @Override
    public org.eclipse.microprofile.health.HealthCheckResponse call() {
        HealthCheckResponseBuilder response = org.eclipse.microprofile.health.HealthCheckResponse
                .named("node services").up();
        for (Map.Entry<String, ManagedChannel> e : new TreeMap<>(services.all()).entrySet()) {
            String state = probe(e.getValue());
            response.withData(e.getKey(), state);
            if (!"SERVING".equals(state)) {
                response.down();
            }
        }
        try {
            StatsResponse dht = DhtInternalGrpc.newBlockingStub(services.dht())
                    .withDeadlineAfter(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS).stats(StatsRequest.getDefaultInstance());
            response.withData("dht", dht.getBootstrapState().name().replace("BOOTSTRAP_STATE_", "") + ", "
                    + dht.getRoutingTableSize() + " contacts");
            if (!dht.getReady()) {
                response.down();
            }
        } catch (StatusRuntimeException e) {
            response.withData("dht", "not running (" + e.getStatus().getCode() + ")").down();
        }
        return response.build();
    }

    /** The service's overall gRPC health status, or why it could not be had. */
    static String probe(ManagedChannel channel) {
        try {
            HealthCheckResponse.ServingStatus status = HealthGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .check(HealthCheckRequest.getDefaultInstance())
                    .getStatus();
            return status.name();
        } catch (StatusRuntimeException e) {
            return "unreachable (" + e.getStatus().getCode() + ")";
        }
    }
}
