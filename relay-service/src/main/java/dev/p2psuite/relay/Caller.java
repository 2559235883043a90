package dev.p2psuite.relay;

import dev.p2psuite.grpc.HostPort;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.relay.core.IpLiterals;
import io.grpc.Status;
import java.net.InetAddress;

/**
 * Who calls a peer RPC, as the node's gateway vouches for it ({@link PeerIdentityInterceptor}): its node ID, its
 * signed record and its transport address. Read when the call starts, on the call's own gRPC context.
 */
record Caller(NodeId id, SignedPeerRecord record, InetAddress ip, String address) {

    /** The caller of the current call; {@code record} and {@code ip} may be null. */
    static Caller current() {
        NodeId id = PeerMetadata.AUTHENTICATED_PEER.get();
        if (id == null) { // the interceptor refuses such calls; a missing ID here is a wiring bug
            throw Status.INTERNAL.withDescription("peer call without the caller's node ID").asRuntimeException();
        }
        String address = PeerMetadata.CALLER_ADDRESS.get();
        InetAddress ip = null;
        if (address != null) {
            try {
                ip = IpLiterals.parse(HostPort.parse(address).host()).orElse(null);
            } catch (IllegalArgumentException e) {
                ip = null;
            }
        }
        return new Caller(id, PeerMetadata.CALLER_RECORD.get(), ip, address);
    }

    /**
     * Only nodes with a valid signed record may reserve or connect (issue 5): the gateway passes the record it
     * verified in the handshake; it is verified again here, as it is what this relay vouches for.
     */
    SignedPeerRecord requireValidRecord(String action) {
        if (record == null) {
            throw Status.PERMISSION_DENIED.withDescription("only nodes with a valid signed peer record may " + action
                    + ", and none came with this call: the node's gateway passes the caller's record (metadata "
                    + "p2p-peer-record-bin) once the caller has completed PeerAuth with a record of its own node ID")
                    .asRuntimeException();
        }
        try {
            record.verify();
        } catch (InvalidRecordException e) {
            throw Status.PERMISSION_DENIED.withDescription("only nodes with a valid signed peer record may " + action
                    + "; the caller's record is refused (" + e.reason() + "): " + e.getMessage()).asRuntimeException();
        }
        return record;
    }

    /** The caller's IP as the gateway saw it, or FAILED_PRECONDITION. */
    InetAddress requireIp() {
        if (ip == null) {
            throw Status.FAILED_PRECONDITION.withDescription(address == null
                    ? "the caller's address is unknown: the node's gateway did not pass it on (p2p-peer-addr metadata)"
                    : "the caller's address as passed on by the node's gateway (p2p-peer-addr) is not an ip:port: '"
                    + address + "'").asRuntimeException();
        }
        return ip;
    }
}
