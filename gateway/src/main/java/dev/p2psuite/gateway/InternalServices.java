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
    private final String storageAddress;
    /** Channels to storage-service owned by one event loop each ({@link #storageOnThisThread}). */
    private final Map<io.netty.channel.EventLoop, ManagedChannel> storageByLoop = new java.util.concurrent.ConcurrentHashMap<>();

    InternalServices(GatewayConfig config) {
        GatewayConfig.Gateway gateway = config.gateway();
        this.storageAddress = gateway.storageAddress();
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

    /**
     * For content streams: when called on a Vert.x event loop (where gRPC server calls run), a channel to
     * storage-service driven by that same event loop, so a chunk is received, forwarded to the client and its next
     * one requested on one thread, with no hand-over between threads (the shared channel has its own I/O thread:
     * every chunk crossed threads twice, and its bytes CPU caches). Elsewhere, the shared channel.
     */
    public ManagedChannel storageOnThisThread() {
        if (!(io.vertx.core.Vertx.currentContext() instanceof io.vertx.core.impl.ContextInternal context)
                || !context.isEventLoopContext() || !context.nettyEventLoop().inEventLoop()) {
            return storage;
        }
        return storageByLoop.computeIfAbsent(context.nettyEventLoop(), loop -> GrpcChannels.builder(storageAddress)
                .eventLoopGroup(loop).channelFactory(context.owner().transport().channelFactory(false)).build());
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
        storageByLoop.values().forEach(GrpcChannels::close);
    }
}
