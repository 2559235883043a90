package dev.p2psuite.relay;

import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.GrpcFutures;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKeyStore;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.gateway.v1.GatewayInternalGrpc;
import dev.p2psuite.proto.gateway.v1.SelfRecordRequest;
import dev.p2psuite.relay.core.AddressPolicy;
import dev.p2psuite.relay.core.AddressRange;
import dev.p2psuite.relay.core.IpLiterals;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The node's own signed record, from its gateway ({@code GatewayInternal/SelfRecord}): the relay needs the node's
 * ID and public address for the relayed candidates it hands out, and its direct candidates for hole punching.
 * Asked every second until the gateway answers, then every 2 s for changes.
 */
@ApplicationScoped
public class SelfRecordSource {

    static final Duration POLL = Duration.ofSeconds(1);
    /** Short: the record changes when the node's candidates do (NatTraversal, the gateway's publisher). */
    static final Duration REFRESH = Duration.ofSeconds(2);

    private static final Logger LOG = Logger.getLogger(SelfRecordSource.class);

    private final String gatewayAddress;
    private final ManagedChannel gateway;
    /** The node this service belongs to: the key in the shared data directory (as every service of the node). */
    private final NodeId self;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "relay-self-record");
        t.setDaemon(true);
        return t;
    });
    private volatile SignedPeerRecord record;

    SelfRecordSource(RelayConfig config) {
        this.gatewayAddress = config.relay().gatewayAddress();
        this.gateway = GrpcChannels.open(gatewayAddress);
        this.self = NodeKeyStore.loadOrCreate(config.dataDir(), new SecureRandom()).nodeId();
    }

    void onStart(@Observes StartupEvent event) {
        timer.execute(this::poll);
    }

    void onStop(@Observes ShutdownEvent event) {
        timer.shutdownNow();
        gateway.shutdownNow();
    }

    /** The node's record, once the gateway has handed it over. */
    public Optional<SignedPeerRecord> current() {
        return Optional.ofNullable(record);
    }

    /** The record, or UNAVAILABLE saying what the relay waits for. */
    SignedPeerRecord require() {
        SignedPeerRecord r = record;
        if (r == null) {
            throw Status.UNAVAILABLE.withDescription("relay-service is starting: waiting for the node's record from "
                    + "its gateway at " + gatewayAddress + " (p2p.relay.gateway-address)").asRuntimeException();
        }
        return r;
    }

    /**
     * Where other nodes reach this node's gateway, for the RELAYED candidate (relay_peer.proto
     * {@code ReserveResponse.relayed_candidate}): the first public host or server-reflexive candidate of the
     * record, else its first host or server-reflexive candidate.
     */
    static Optional<Candidate> publicAddress(SignedPeerRecord record) {
        Candidate fallback = null;
        for (Candidate c : record.record().candidates()) {
            if (c.kind() == Candidate.Kind.RELAYED) {
                continue;
            }
            boolean isPublic = IpLiterals.parse(c.host()).map(AddressPolicy::classify)
                    .map(r -> r == AddressRange.PUBLIC).orElse(true); // a DNS name counts as public
            if (isPublic) {
                return Optional.of(c);
            }
            if (fallback == null) {
                fallback = c;
            }
        }
        return Optional.ofNullable(fallback);
    }

    private void poll() {
        GrpcFutures.unary(gateway, GatewayInternalGrpc.getSelfRecordMethod(),
                        CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS), SelfRecordRequest.getDefaultInstance())
                .whenComplete((response, failure) -> {
                    if (failure == null) {
                        adopt(response.getRecord());
                    } else if (record == null) {
                        LOG.debugf("gateway at %s not answering yet: %s", gatewayAddress, failure.getMessage());
                    }
                    Duration next = record == null ? POLL : REFRESH;
                    if (!timer.isShutdown()) {
                        try {
                            timer.schedule(this::poll, next.toMillis(), TimeUnit.MILLISECONDS);
                        } catch (java.util.concurrent.RejectedExecutionException e) {
                            // shutting down
                        }
                    }
                });
    }

    private void adopt(dev.p2psuite.proto.common.v1.SignedPeerRecord proto) {
        try {
            SignedPeerRecord r = PeerRecords.fromProto(proto, "record");
            r.verify();
            if (!r.nodeId().equals(self)) {
                if (record == null) {
                    LOG.errorf("the gateway at %s speaks for node %s but this service's data directory holds the key "
                            + "of node %s: set p2p.relay.gateway-address (P2P_RELAY_GATEWAY_ADDRESS) to this node's "
                            + "gateway and use the same P2P_DATA_DIR", gatewayAddress, r.nodeId().toHex(), self.toHex());
                }
                return;
            }
            SignedPeerRecord current = record;
            if (current == null || r.seq() > current.seq()) {
                if (current == null) {
                    LOG.infof("node %s: relaying as %s", r.nodeId().toHex(), publicAddress(r)
                            .map(c -> c.host() + ":" + c.port()).orElse("(no address in the record)"));
                }
                record = r;
            }
        } catch (IllegalArgumentException | InvalidRecordException e) {
            LOG.errorf("the gateway's record cannot be used: %s", e.getMessage());
        }
    }
}
