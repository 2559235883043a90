package dev.p2psuite.grpc;

import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.SignedPeerRecord;
import io.grpc.Context;
import io.grpc.Metadata;

/**
 * How a call says who is calling. A remote node sends its session token (from {@code p2p.auth.v1.PeerAuth})
 * to the gateway; the gateway checks it and tells the node's own service the authenticated node ID.
 */
public final class PeerMetadata {

    /** Session token a remote node got from PeerAuth/Authenticate; sent on every peer call to a gateway. */
    public static final Metadata.Key<byte[]> SESSION_TOKEN =
            Metadata.Key.of("p2p-session-bin", Metadata.BINARY_BYTE_MARSHALLER);

    /**
     * Lowercase hex of the caller's authenticated node ID, set by the gateway on peer calls it forwards.
     * Internal services trust it because only their own gateway can reach them.
     */
    public static final Metadata.Key<String> PEER_ID =
            Metadata.Key.of("p2p-peer-id", Metadata.ASCII_STRING_MARSHALLER);

    /**
     * The caller's transport address as the gateway saw it, {@code ip:port} ({@code [ip]:port} for IPv6), set
     * on forwarded peer calls: behind the gateway, a service sees only the gateway's own connection.
     */
    public static final Metadata.Key<String> PEER_ADDRESS =
            Metadata.Key.of("p2p-peer-addr", Metadata.ASCII_STRING_MARSHALLER);

    /** The caller's newest verified signed peer record (serialized p2p.common.v1.SignedPeerRecord). */
    public static final Metadata.Key<byte[]> PEER_RECORD =
            Metadata.Key.of("p2p-peer-record-bin", Metadata.BINARY_BYTE_MARSHALLER);

    /** The authenticated caller of the current peer call, for handlers. */
    public static final Context.Key<NodeId> AUTHENTICATED_PEER = Context.key("p2p-authenticated-peer");

    /** The authenticated caller's newest verified record, when known, for handlers. */
    public static final Context.Key<SignedPeerRecord> CALLER_RECORD = Context.key("p2p-caller-record");

    /** The caller's transport address, {@code ip:port}, when known, for handlers. */
    public static final Context.Key<String> CALLER_ADDRESS = Context.key("p2p-caller-address");

    private PeerMetadata() {
    }
}
