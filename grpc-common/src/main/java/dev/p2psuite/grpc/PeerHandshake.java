package dev.p2psuite.grpc;

import com.google.protobuf.ByteString;
import dev.p2psuite.identity.AuthenticationException;
import dev.p2psuite.identity.Challenge;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerAuthClient;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.auth.v1.AuthenticateRequest;
import dev.p2psuite.proto.auth.v1.ChallengeRequest;
import dev.p2psuite.proto.auth.v1.PeerAuthGrpc;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
            return stub.withInterceptors(tokenHeader());
        }

        /** {@code channel} with this session's token on every call. */
        public Channel attachTo(Channel channel) {
            return ClientInterceptors.intercept(channel, tokenHeader());
        }

        private ClientInterceptor tokenHeader() {
            Metadata headers = new Metadata();
            headers.put(PeerMetadata.SESSION_TOKEN, token);
            return MetadataUtils.newAttachHeadersInterceptor(headers);
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
        try {
            return authenticateAsync(channel, self, selfRecord, expectedResponder, random).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof AuthenticationException a) {
                throw a;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /**
     * The handshake without blocking a thread. Completes exceptionally with {@link AuthenticationException}
     * when the responder is not who it claims or not the one expected, or with the call's
     * {@link io.grpc.StatusRuntimeException} when the remote refuses or cannot be reached.
     */
    public static CompletableFuture<PeerSession> authenticateAsync(Channel channel, NodeKey self,
                                                                   SignedPeerRecord selfRecord, NodeId expectedResponder,
                                                                   SecureRandom random) {
        byte[] clientNonce = PeerAuthClient.newClientNonce(random);
        return GrpcFutures.unary(channel, PeerAuthGrpc.getChallengeMethod(), options(),
                        ChallengeRequest.newBuilder().setClientNonce(ByteString.copyFrom(clientNonce)).build())
                .thenCompose(challenge -> {
                    SignedPeerRecord responder;
                    byte[] signature;
                    try {
                        responder = PeerRecords.fromProto(challenge.getResponder(), "responder");
                        Challenge parsed = new Challenge(challenge.getServerNonce().toByteArray(), responder,
                                challenge.getResponderSignature().toByteArray());
                        signature = PeerAuthClient.answerChallenge(self, clientNonce, parsed, expectedResponder);
                    } catch (IllegalArgumentException e) {
                        return CompletableFuture.failedFuture(new AuthenticationException(
                                "responder sent a malformed peer record: " + e.getMessage(), e));
                    } catch (AuthenticationException e) {
                        return CompletableFuture.failedFuture(e);
                    }
                    return GrpcFutures.unary(channel, PeerAuthGrpc.getAuthenticateMethod(), options(),
                                    AuthenticateRequest.newBuilder()
                                            .setServerNonce(challenge.getServerNonce())
                                            .setCaller(PeerRecords.toProto(selfRecord))
                                            .setCallerSignature(ByteString.copyFrom(signature))
                                            .build())
                            .thenApply(session -> new PeerSession(responder, session.getSessionToken().toByteArray(),
                                    Instant.ofEpochMilli(session.getExpiresAtUnixMs())));
                });
    }

    private static CallOptions options() {
        return CallOptions.DEFAULT.withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
}
