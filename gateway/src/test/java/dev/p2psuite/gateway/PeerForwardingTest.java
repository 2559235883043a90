package dev.p2psuite.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.PeerHandshake;
import dev.p2psuite.grpc.PeerMetadata;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.dht.v1.DhtPeerGrpc;
import dev.p2psuite.proto.dht.v1.PingRequest;
import dev.p2psuite.proto.dht.v1.PingResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the gateway tells the owning service about the caller of a forwarded peer RPC. */
@QuarkusTest
@QuarkusTestResource(RecordingDhtService.class)
class PeerForwardingTest {

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int port;

    private final SecureRandom random = new SecureRandom();
    private ManagedChannel channel;

    @BeforeEach
    void open() {
        channel = GrpcChannels.open("127.0.0.1:" + port);
    }

    @AfterEach
    void close() {
        GrpcChannels.close(channel);
    }

    @Test
    void owningServiceLearnsTheAuthenticatedCallerItsAddressAndItsRecord() throws Exception {
        NodeKey caller = NodeKey.generate(random);
        SignedPeerRecord record = SignedPeerRecord.sign(caller, 7, List.of(Candidate.host("192.0.2.7", 4000)));
        PeerHandshake.PeerSession session = PeerHandshake.authenticate(channel, caller, record, null, random);

        PingResponse seen = session.attachTo(DhtPeerGrpc.newBlockingStub(channel)).ping(PingRequest.getDefaultInstance());

        assertThat(seen.getResponder().getRecord().getNodeId().toByteArray()).isEqualTo(caller.nodeId().bytes());
        assertThat(seen.getResponder().getRecord().getCandidates(0).getHost()).startsWith("127.0.0.1:");
        assertThat(seen.getResponder().getSignature()).isEqualTo(PeerRecords.toProto(record).toByteString());
    }

    @Test
    void identityHeadersSentByARemoteCallerAreNotPassedOn() throws Exception {
        NodeKey caller = NodeKey.generate(random);
        NodeKey victim = NodeKey.generate(random);
        SignedPeerRecord record = SignedPeerRecord.sign(caller, 1, List.of(Candidate.host("127.0.0.1", 1)));
        PeerHandshake.PeerSession session = PeerHandshake.authenticate(channel, caller, record, null, random);
        Metadata spoofed = new Metadata();
        spoofed.put(PeerMetadata.PEER_ID, victim.nodeId().toHex());
        spoofed.put(PeerMetadata.PEER_ADDRESS, "203.0.113.9:1");

        PingResponse seen = session.attachTo(DhtPeerGrpc.newBlockingStub(channel))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(spoofed))
                .ping(PingRequest.getDefaultInstance());

        assertThat(HexFormat.of().formatHex(seen.getResponder().getRecord().getNodeId().toByteArray()))
                .isEqualTo(caller.nodeId().toHex());
        assertThat(seen.getResponder().getRecord().getCandidates(0).getHost()).doesNotContain("203.0.113.9");
    }

    @Test
    void aPeerIdHeaderAloneDoesNotAuthenticate() {
        Metadata spoofed = new Metadata();
        spoofed.put(PeerMetadata.PEER_ID, NodeKey.generate(random).nodeId().toHex());
        assertThatThrownBy(() -> DhtPeerGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(spoofed))
                .ping(PingRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
}
