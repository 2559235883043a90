package dev.p2psuite.gateway;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.NodeKeyStore;
import dev.p2psuite.identity.PeerAuthenticator;
import dev.p2psuite.identity.PeerRecordBook;
import dev.p2psuite.identity.SignedPeerRecord;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * This node's identity as the gateway presents it: the key from the data directory, the signed record of
 * its addresses, and the authenticator that turns remote nodes' handshakes into sessions.
 */
@Startup
@ApplicationScoped
public class NodeIdentity {

    /** Peer records remembered (newest per node) to reject replays of older ones. */
    static final int MAX_REMEMBERED_PEERS = 10_000;

    private static final Logger LOG = Logger.getLogger(NodeIdentity.class);

    private final NodeKey key;
    /** Replaced (seq bumped) when the node's candidates change ({@link RecordPublisher}). */
    private volatile SignedPeerRecord record;
    private final PeerRecordBook peers = new PeerRecordBook(MAX_REMEMBERED_PEERS);
    private final PeerAuthenticator authenticator;
    private final Candidate configuredHost;

    NodeIdentity(GatewayConfig config, @ConfigProperty(name = "quarkus.grpc.server.port") int listenPort) {
        SecureRandom random = new SecureRandom();
        this.key = NodeKeyStore.loadOrCreate(config.dataDir(), random);
        int port = config.gateway().advertisePort().orElse(listenPort);
        // seq = signing time in ms: a restarted node's record replaces the one others remember (PeerRecord docs).
        this.configuredHost = Candidate.host(config.gateway().advertiseHost(), port);
        this.record = SignedPeerRecord.sign(key, System.currentTimeMillis(), List.of(configuredHost));
        this.authenticator = new PeerAuthenticator(key, () -> record, peers, InstantSource.system(), random);
        LOG.infof("node %s, advertised at %s:%d", key.nodeId().toHex(), config.gateway().advertiseHost(), port);
    }

    public NodeKey key() {
        return key;
    }

    public SignedPeerRecord record() {
        return record;
    }

    /**
     * Signs and adopts a record with {@code candidates} if they differ from the current ones; seq = signing time
     * in ms, at least the old seq + 1 (so peers replace the old version). Returns the current record.
     */
    public synchronized SignedPeerRecord republish(List<Candidate> candidates) {
        SignedPeerRecord current = record;
        if (current.record().candidates().equals(candidates)) {
            return current;
        }
        long seq = Math.max(System.currentTimeMillis(), current.seq() + 1);
        record = SignedPeerRecord.sign(key, seq, candidates);
        LOG.infof("node record seq %d: %s", seq, candidates);
        return record;
    }

    /** The host candidate from configuration ({@code p2p.gateway.advertise-host}/{@code -port}). */
    public Candidate configuredHost() {
        return configuredHost;
    }

    public PeerRecordBook peers() {
        return peers;
    }

    public PeerAuthenticator authenticator() {
        return authenticator;
    }
}
