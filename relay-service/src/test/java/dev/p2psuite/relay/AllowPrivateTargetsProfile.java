package dev.p2psuite.relay;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/** The relay as a local test network runs it: loopback and private targets allowed. */
public class AllowPrivateTargetsProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("p2p.relay.allow-private-targets", "true");
    }
}
