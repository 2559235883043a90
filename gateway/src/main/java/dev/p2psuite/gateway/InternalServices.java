package dev.p2psuite.gateway;

import dev.p2psuite.grpc.GrpcChannels;
import io.grpc.ManagedChannel;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/** The gateway's long-lived channels to its own node's services. */
@ApplicationScoped
public class InternalServices {

    private final ManagedChannel dht;
    private final ManagedChannel storage;
    private final ManagedChannel relay;

    InternalServices(GatewayConfig config) {
        GatewayConfig.Gateway gateway = config.gateway();
        this.dht = GrpcChannels.open(gateway.dhtAddress());
        this.storage = GrpcChannels.open(gateway.storageAddress());
        this.relay = GrpcChannels.open(gateway.relayAddress());
    }

    public ManagedChannel dht() {
        return dht;
    }

    public ManagedChannel storage() {
        return storage;
    }

    public ManagedChannel relay() {
        return relay;
    }

    /** Service name (as in health and NodeInfo) to channel. */
    public Map<String, ManagedChannel> all() {
        return Map.of("dht-service", dht, "storage-service", storage, "relay-service", relay);
    }

    @PreDestroy
    void close() {
        all().values().forEach(GrpcChannels::close);
    }
}
