package dev.p2psuite.grpc;

import com.google.protobuf.ByteString;
import dev.p2psuite.identity.AuthenticationException;
import dev.p2psuite.identity.Challenge;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerAuthClient;
import dev.p2psuite.identity.PeerAuthenticator;
import dev.p2psuite.identity.Session;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.auth.v1.AuthenticateRequest;
import dev.p2psuite.proto.auth.v1.AuthenticateResponse;
import dev.p2psuite.proto.auth.v1.ChallengeRequest;
import dev.p2psuite.proto.auth.v1.ChallengeResponse;
import dev.p2psuite.proto.auth.v1.PeerAuthGrpc;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * The handshake by which a remote node proves its node ID and gets a session token (peer_auth.proto),
 * served by whatever faces other nodes: the gateway, or a bare DHT node in a benchmark.
 */
public class PeerAuthService extends PeerAuthGrpc.PeerAuthImplBase {

    private final PeerAuthenticator authenticator;

    public PeerAuthService(PeerAuthenticator authenticator) {
        this.authenticator = authenticator;
    }

    @Override
    public void challenge(ChallengeRequest request, StreamObserver<ChallengeResponse> responses) {
        byte[] clientNonce = request.getClientNonce().toByteArray();
        if (clientNonce.length != PeerAuthClient.CLIENT_NONCE_BYTES) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("client_nonce must be "
                    + PeerAuthClient.CLIENT_NONCE_BYTES + " random bytes, got " + clientNonce.length).asRuntimeException());
            return;
        }
        Challenge challenge = authenticator.challenge(clientNonce);
        responses.onNext(ChallengeResponse.newBuilder()
                .setServerNonce(ByteString.copyFrom(challenge.serverNonce()))
                .setResponder(PeerRecords.toProto(challenge.responder()))
                .setResponderSignature(ByteString.copyFrom(challenge.responderSignature()))
                .build());
        responses.onCompleted();
    }

    @Override
    public void authenticate(AuthenticateRequest request, StreamObserver<AuthenticateResponse> responses) {
        Session session;
        try {
            byte[] serverNonce = exactly(request.getServerNonce(), PeerAuthenticator.SERVER_NONCE_BYTES, "server_nonce");
            byte[] signature = exactly(request.getCallerSignature(), NodeKey.SIGNATURE_BYTES, "caller_signature");
            if (!request.hasCaller()) {
                throw new IllegalArgumentException("caller: the caller's signed peer record is missing");
            }
            SignedPeerRecord caller = PeerRecords.fromProto(request.getCaller(), "caller");
            session = authenticator.authenticate(serverNonce, caller, signature);
        } catch (IllegalArgumentException e) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (AuthenticationException e) {
            responses.onError(Status.UNAUTHENTICATED.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        responses.onNext(AuthenticateResponse.newBuilder()
                .setSessionToken(ByteString.copyFrom(session.token()))
                .setExpiresAtUnixMs(session.expiresAt().toEpochMilli())
                .build());
        responses.onCompleted();
    }

    private static byte[] exactly(ByteString value, int length, String field) {
        if (value.size() != length) {
            throw new IllegalArgumentException(field + " must be " + length + " bytes, got " + value.size());
        }
        return value.toByteArray();
    }
}
