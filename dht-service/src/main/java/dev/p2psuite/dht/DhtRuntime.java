package dev.p2psuite.dht;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.DhtSettings;
import dev.p2psuite.dht.core.Endpoint;
import dev.p2psuite.dht.core.Scheduler;
import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.GrpcFutures;
import dev.p2psuite.grpc.HostPort;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.NodeKeyStore;
import dev.p2psuite.identity.PeerRecordBook;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.gateway.v1.GatewayInternalGrpc;
import dev.p2psuite.proto.gateway.v1.SelfRecordRequest;
import dev.p2psuite.grpc.PeerDialer;
import dev.p2psuite.grpc.PeerDialerMetrics;
import io.grpc.CallOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.jboss.logging.Logger;

/**
 * This node's Kademlia: the core {@link DhtNode} on one thread, talking to other nodes through
 * {@link GrpcPeerRpc}, speaking with the node's key and the record its gateway owns, saved to disk
 * periodically and on shutdown and restored at start.
 */
@ApplicationScoped
public class DhtRuntime implements RunningDht {

    /** Peer records remembered (newest per node) so that replays of older ones are recognised. */
    static final int MAX_REMEMBERED_PEERS = 50_000;
    /** How often the gateway is asked for the node's record until it answers, then for changes. */
    static final Duration SELF_RECORD_POLL = Duration.ofSeconds(1);
    static final Duration SELF_RECORD_REFRESH = Duration.ofSeconds(5); // short: the gateway re-signs the record when its candidates change (issue 5)

    private static final Logger LOG = Logger.getLogger(DhtRuntime.class);

    private final DhtConfig config;
    private final NodeKey key;
    private final SecureRandom random = new SecureRandom();
    private final PeerRecordBook peers = new PeerRecordBook(MAX_REMEMBERED_PEERS);
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dht-core");
        t.setDaemon(true);
        return t;
    });
    /** Writes snapshots, off the core's thread (whose tasks must never wait on it). */
    private final ScheduledExecutorService io = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "dht-state");
        t.setDaemon(true);
        return t;
    });
    private final ManagedChannel gateway;
    private final DhtStateFile stateFile;
    private volatile SignedPeerRecord selfRecord;
    private volatile GrpcPeerRpc rpc;
    private volatile DhtNode node;

    DhtRuntime(DhtConfig config, MeterRegistry registry) {
        this.config = config;
        PeerDialerMetrics.register(registry, this, runtime -> runtime.rpc == null ? null : runtime.rpc.dialer());
        this.key = NodeKeyStore.loadOrCreate(config.dataDir(), random);
        this.gateway = GrpcChannels.open(config.dht().gatewayAddress());
        this.stateFile = new DhtStateFile(config.dataDir());
    }

    void onStart(@Observes StartupEvent event) {
        LOG.infof("node %s; asking the gateway at %s for the node's record", key.nodeId().toHex(),
                config.dht().gatewayAddress());
        thread.execute(this::pollSelfRecord);
    }

    /** The node, once its gateway has handed over the node's record. */
    public Optional<DhtNode> node() {
        return Optional.ofNullable(node);
    }

    @Override
    public DhtNode require() {
        DhtNode n = node;
        if (n == null) {
            throw Status.UNAVAILABLE.withDescription("dht-service is starting: waiting for the node's record from its"
                    + " gateway at " + config.dht().gatewayAddress()).asRuntimeException();
        }
        return n;
    }

    /** This node's key (flood search signs its hits with it). */
    public NodeKey nodeKey() {
        return key;
    }

    /** The outbound peer connections, once the node runs (flood search sends its queries over them). */
    public Optional<GrpcPeerRpc> peerRpc() {
        return Optional.ofNullable(rpc);
    }

    @Override
    public PeerRecordBook peers() {
        return peers;
    }

    @Override
    public java.util.Map<dev.p2psuite.identity.NodeId, PeerDialer.RouteKind> routeKinds() {
        GrpcPeerRpc r = rpc;
        return r == null ? java.util.Map.of() : r.dialer().routeKinds();
    }

    /** Why the node is not running yet, for readiness. */
    String startupState() {
        return node == null ? "waiting for the node's record from the gateway at " + config.dht().gatewayAddress()
                : "running";
    }

    private void pollSelfRecord() {
        GrpcFutures.unary(gateway, GatewayInternalGrpc.getSelfRecordMethod(),
                        CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS), SelfRecordRequest.getDefaultInstance())
                .whenCompleteAsync((response, failure) -> {
                    Duration next = node == null ? SELF_RECORD_POLL : SELF_RECORD_REFRESH;
                    if (failure == null) {
                        try {
                            adopt(PeerRecords.fromProto(response.getRecord(), "record"));
                        } catch (RuntimeException e) {
                            LOG.errorf("the gateway's record cannot be used: %s", e.getMessage());
                        }
                    } else if (node == null) {
                        LOG.debugf("gateway not answering yet: %s", failure.getMessage());
                    }
                    if (!thread.isShutdown()) {
                        thread.schedule(this::pollSelfRecord, next.toMillis(), TimeUnit.MILLISECONDS);
                    }
                }, thread);
    }

    /** Starts the node with its first record; later records (new addresses) replace the node's self contact. */
    private void adopt(SignedPeerRecord record) {
        if (!record.nodeId().equals(key.nodeId())) {
            throw new IllegalStateException("the gateway speaks for node " + record.nodeId().toHex()
                    + " but this service's data directory holds the key of " + key.nodeId().toHex()
                    + "; both must use the same P2P_DATA_DIR");
        }
        SignedPeerRecord current = selfRecord;
        if (current != null && current.seq() >= record.seq()) {
            return;
        }
        selfRecord = record;
        if (node != null) {
            node.updateSelf(Contact.of(record));
            // New addresses (e.g. a relayed candidate once the node holds a reservation, issue 5): a self-lookup
            // calls the closest peers, and every inbound call refreshes the caller's record there (Kademlia), so
            // they learn how to reach this node now (as libp2p's identify push does on address changes).
            node.findNode(key.nodeId()).whenComplete((r, e) -> LOG.debugf("self-lookup after a record change: %s",
                    e == null ? "done" : e.getMessage()));
            return;
        }
        start(record);
    }

    private void start(SignedPeerRecord record) {
        DhtConfig.Dht dht = config.dht();
        List<Endpoint> bootstrap = dht.bootstrap().orElse(List.of()).stream()
                .filter(s -> !s.isBlank())
                .map(HostPort::parse)
                .map(h -> new Endpoint(h.host(), h.port()))
                .toList();
        DhtSettings settings = DhtSettings.builder()
                .requestTimeout(dht.requestTimeout())
                .refreshInterval(dht.refreshInterval())
                .valueRepublishInterval(dht.republishInterval())
                .providerRepublishInterval(dht.providerRepublishInterval())
                .pexInterval(dht.pexInterval())
                .maxPerIpGroup(dht.maxPerIpGroup())
                .diversityExemptsPrivate(dht.diversityExemptsPrivate())
                .bootstrapEndpoints(bootstrap)
                .standalone(dht.standalone())
                .minReadyContacts(dht.minReadyContacts())
                .build();
        rpc = new GrpcPeerRpc(key, () -> selfRecord, peers, InstantSource.system(), random, dht.requestTimeout(),
                config.holePunch().settings());
        DhtNode created = new DhtNode(Contact.of(record), key, settings, rpc, Scheduler.of(thread), thread,
                InstantSource.system(), RandomGenerator.of("L64X128MixRandom"));
        // Restore, then start: both run on the core's thread, which is this one, so nothing here may block.
        CompletableFuture<Void> restored = stateFile.load()
                .map(snapshot -> created.restore(snapshot).thenRun(() -> LOG.infof(
                        "restored %d contacts, %d values, %d provider records from %s", snapshot.contacts().size(),
                        snapshot.values().size(), snapshot.providers().size(), stateFile.path())))
                .orElse(CompletableFuture.completedFuture(null));
        node = created;
        restored.whenComplete((ok, failure) -> {
            if (failure != null) {
                LOG.warnf("could not restore the saved DHT state: %s", failure.toString());
            }
            created.start().thenRun(() -> LOG.infof("joined the DHT: %d contacts", created.stats().routingTableSize()));
        });
        long every = dht.snapshotInterval().toMillis();
        io.scheduleWithFixedDelay(this::save, every, every, TimeUnit.MILLISECONDS);
        LOG.infof("DHT node started, bootstrap %s%s", bootstrap.isEmpty() ? "none" : bootstrap,
                dht.standalone() ? " (standalone)" : "");
    }

    private void save() {
        DhtNode n = node;
        if (n == null) {
            return;
        }
        try {
            stateFile.save(n.snapshot().get(10, TimeUnit.SECONDS));
        } catch (IOException e) {
            LOG.warnf("could not save DHT state to %s: %s", stateFile.path(), e.getMessage());
        } catch (Exception e) {
            LOG.warnf("could not take a DHT snapshot: %s", e.toString());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        DhtNode n = node;
        if (n != null) {
            try {
                stateFile.save(n.snapshot().get(5, TimeUnit.SECONDS));
            } catch (Exception e) {
                LOG.warnf("could not save DHT state on shutdown: %s", e.toString());
            }
            n.close();
        }
        thread.shutdownNow();
        io.shutdownNow();
        if (rpc != null) {
            rpc.close();
        }
        GrpcChannels.close(gateway);
    }
}
