package dev.p2psuite.dht;

import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.grpc.PeerDialer;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.PeerRecordBook;
import java.util.Map;

/** What the gRPC handlers need of a running DHT; {@link DhtRuntime} in the service, a plain holder in benchmarks. */
public interface RunningDht {

    /** The node, or a StatusRuntimeException (UNAVAILABLE) while it is not running yet. */
    DhtNode require();

    /** Verified peer records, newest per node, for checking records that arrive in requests. */
    PeerRecordBook peers();

    /** How contacts dialled through {@code PeerDialer} (their record lists a relay) are reached now. */
    default Map<NodeId, PeerDialer.RouteKind> routeKinds() {
        return Map.of();
    }
}
