package dev.p2psuite.relay;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready only while the STUN socket is bound and served (or STUN is disabled by configuration). */
@Readiness
@ApplicationScoped
public class StunReadiness implements HealthCheck {

    private final StunServer stun;

    StunReadiness(StunServer stun) {
        this.stun = stun;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("stun").withData("enabled", stun.enabled());
        if (!stun.enabled()) {
            return response.up().build();
        }
        return stun.boundAddress()
                .map(a -> response.up().withData("udp", StunServer.format(a)).build())
                .orElseGet(() -> response.down().withData("udp", "not bound").build());
    }
}
