package dev.p2psuite.grpc;

import com.google.protobuf.ByteString;
import dev.p2psuite.identity.AuthenticationException;
import dev.p2psuite.identity.Challenge;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerAuthClient;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.auth.v1.AuthenticateRequest;
import dev.p2psuite.proto.auth.v1.AuthenticateResponse;
import dev.p2psuite.proto.auth.v1.ChallengeRequest;
import dev.p2psuite.proto.auth.v1.ChallengeResponse;
import dev.p2psuite.proto.auth.v1.PeerAuthGrpc;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The caller's side of {@code p2p.auth.v1.PeerAuth}: proves this node's ID to a remote gateway over a channel
 * and returns the session to attach to peer calls on it.
 */
public final class PeerHandshake {

    /** Deadline of each of the two handshake calls. */
    public static final long CALL_TIMEOUT_MS = 5_000;

    private PeerHandshake() {
    }

    /** A session with one remote node: who it proved to be, and the token that proves who we are. */
    public record PeerSession(SignedPeerRecord responder, byte[] token, Instant expiresAt) {

        /** {@code stub} with this session's token on every call. */
        public <S extends AbstractStub<S>> S attachTo(S stub) {
            Metadata headers = new Metadata();
            headers.put(PeerMetadata.SESSION_TOKEN, token);
            return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
    }

    /**
     * Runs the handshake (blocking: two round trips).
     *
     * @param expectedResponder the node ID dialed, or null for an address whose node is not known yet
     * @throws AuthenticationException if the responder is not who it claims or not the one expected
     * @throws io.grpc.StatusRuntimeException if the remote refuses (e.g. UNAUTHENTICATED) or cannot be reached
     */
    public static PeerSession authenticate(Channel channel, NodeKey self, SignedPeerRecord selfRecord,
                                           NodeId expectedResponder, SecureRandom random) throws AuthenticationException {
        byte[] clientNonce = PeerAuthClient.newClientNonce(random);
        ChallengeResponse challenge = stub(channel).challenge(
                ChallengeRequest.newBuilder().setClientNonce(ByteString.copyFrom(clientNonce)).build());
        SignedPeerRecord responder;
        try {
            responder = PeerRecords.fromProto(challenge.getResponder(), "responder");
        } catch (IllegalArgumentException e) {
            throw new AuthenticationException("responder sent a malformed peer record: " + e.getMessage(), e);
        }
        Challenge parsed = new Challenge(challenge.getServerNonce().toByteArray(), responder,
                challenge.getResponderSignature().toByteArray());
        byte[] signature = PeerAuthClient.answerChallenge(self, clientNonce, parsed, expectedResponder);
        AuthenticateResponse session = stub(channel).authenticate(AuthenticateRequest.newBuilder()
                .setServerNonce(challenge.getServerNonce())
                .setCaller(PeerRecords.toProto(selfRecord))
                .setCallerSignature(ByteString.copyFrom(signature))
                .build());
        return new PeerSession(responder, session.getSessionToken().toByteArray(),
                Instant.ofEpochMilli(session.getExpiresAtUnixMs()));
    }

    private static PeerAuthGrpc.PeerAuthBlockingStub stub(Channel channel) {
        return PeerAuthGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
}
