package dev.p2psuite.relay;

import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.relay.v1.RelayPeerGrpc;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.security.SecureRandom;
import java.util.List;

/**
 * A remote node as relay-service sees it through the gateway: its node ID, signed record and address, sent as the
 * gateway's metadata ({@code p2p-peer-id}, {@code p2p-peer-record-bin}, {@code p2p-peer-addr}).
 */
final class TestNode {

    private static final SecureRandom RANDOM = new SecureRandom();

    final NodeKey key;
    final SignedPeerRecord record;
    /** {@code ip:port} as the gateway saw the caller, or null. */
    final String address;
    /** The record sent instead of {@link #record} (a forged one), or null for the real one. */
    private final dev.p2psuite.proto.common.v1.SignedPeerRecord sentRecord;
    private final boolean sendRecord;

    private TestNode(NodeKey key, SignedPeerRecord record, String address,
                     dev.p2psuite.proto.common.v1.SignedPeerRecord sentRecord, boolean sendRecord) {
        this.key = key;
        this.record = record;
        this.address = address;
        this.sentRecord = sentRecord;
        this.sendRecord = sendRecord;
    }

    /** A node seen at {@code ip} (source port 40000). */
    static TestNode at(String ip) {
        return of(NodeKey.generate(RANDOM), ip);
    }

    /** The node of {@code key}, seen at {@code ip}. */
    static TestNode of(NodeKey key, String ip) {
        String address = ip.indexOf(':') >= 0 ? "[" + ip + "]:40000" : ip + ":40000";
        return new TestNode(key, SignedPeerRecord.sign(key, 1, List.of(Candidate.host(ip, 7000))), address, null, true);
    }

    NodeId id() {
        return key.nodeId();
    }

    /** The same node calling without its record. */
    TestNode withoutRecord() {
        return new TestNode(key, record, address, null, false);
    }

    /** The same node calling with {@code forged} as its record. */
    TestNode withRecord(dev.p2psuite.proto.common.v1.SignedPeerRecord forged) {
        return new TestNode(key, record, address, forged, true);
    }

    /** The same node seen at another address (null: none). */
    TestNode seenAt(String peerAddress) {
        return new TestNode(key, record, peerAddress, sentRecord, sendRecord);
    }

    Metadata headers() {
        Metadata h = new Metadata();
        h.put(PeerMetadata.PEER_ID, id().toHex());
        if (address != null) {
            h.put(PeerMetadata.PEER_ADDRESS, address);
        }
        if (sendRecord) {
            h.put(PeerMetadata.PEER_RECORD, (sentRecord != null ? sentRecord : PeerRecords.toProto(record)).toByteArray());
        }
        return h;
    }

    RelayPeerGrpc.RelayPeerBlockingStub blocking(Channel channel) {
        return RelayPeerGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers()));
    }

    RelayPeerGrpc.RelayPeerStub async(Channel channel) {
        return RelayPeerGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers()));
    }
}
