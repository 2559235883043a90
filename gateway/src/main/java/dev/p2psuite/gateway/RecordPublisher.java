package dev.p2psuite.gateway;

import dev.p2psuite.grpc.GrpcFutures;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.relay.v1.CandidatesRequest;
import dev.p2psuite.proto.relay.v1.CandidatesResponse;
import dev.p2psuite.proto.relay.v1.GatheredCandidate;
import dev.p2psuite.proto.relay.v1.RelayInternalGrpc;
import io.grpc.CallOptions;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Publishes the node's gathered candidates in its signed record (issue 5): relay-service gathers them
 * ({@code RelayInternal/Candidates}: host, server-reflexive, relayed, by ICE priority); the gateway owns the record
 * and the key, so it re-signs the record with a higher seq whenever the list changes. The node's services and its
 * peers (PeerAuth, DHT, PEX) then pick up the new version. The configured host candidate always stays first.
 */
@ApplicationScoped
public class RecordPublisher {

    private static final Logger LOG = Logger.getLogger(RecordPublisher.class);

    private final NodeIdentity identity;
    private final InternalServices services;
    private final long intervalMs;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "record-publisher");
        t.setDaemon(true);
        return t;
    });

    RecordPublisher(NodeIdentity identity, InternalServices services, GatewayConfig config) {
        this.identity = identity;
        this.services = services;
        this.intervalMs = config.gateway().recordRefreshInterval().toMillis();
    }

    void onStart(@Observes StartupEvent event) {
        timer.schedule(this::poll, intervalMs, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        timer.shutdownNow();
    }

    private void poll() {
        GrpcFutures.unary(services.relay(), RelayInternalGrpc.getCandidatesMethod(),
                        CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS), CandidatesRequest.getDefaultInstance())
                .whenComplete((answer, failure) -> {
                    if (failure == null) {
                        try {
                            identity.republish(candidates(identity.configuredHost(), answer));
                        } catch (RuntimeException e) {
                            LOG.warnf("cannot publish the gathered candidates: %s", e.getMessage());
                        }
                    }
                    if (!timer.isShutdown()) {
                        try {
                            timer.schedule(this::poll, intervalMs, TimeUnit.MILLISECONDS);
                        } catch (java.util.concurrent.RejectedExecutionException e) {
                            // shutting down
                        }
                    }
                });
    }

    /** The configured host first, then the gathered candidates in their (priority) order, without repeats. */
    static List<Candidate> candidates(Candidate configured, CandidatesResponse answer) {
        List<Candidate> out = new ArrayList<>();
        out.add(configured);
        for (GatheredCandidate g : answer.getCandidatesList()) {
            var c = g.getCandidate();
            NodeId relay = c.getRelayNodeId().isEmpty() ? null : NodeId.of(c.getRelayNodeId().toByteArray());
            Candidate candidate = new Candidate(Candidate.Kind.fromCode(c.getKindValue()), c.getHost(), c.getPort(),
                    relay);
            if (!out.contains(candidate) && out.size() < dev.p2psuite.identity.PeerRecord.MAX_CANDIDATES) {
                out.add(candidate);
            }
        }
        return out;
    }
}
