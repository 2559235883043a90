package dev.p2psuite.gateway;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** The gateway is ready only when every service of its node answers gRPC health with SERVING. */
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
