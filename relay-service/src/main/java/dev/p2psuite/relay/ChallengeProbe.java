package dev.p2psuite.relay;

import com.google.protobuf.ByteString;
import dev.p2psuite.grpc.GrpcFutures;
import dev.p2psuite.grpc.PeerRecords;
import dev.p2psuite.grpc.WireLimits;
import dev.p2psuite.identity.InvalidRecordException;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerAuthClient;
import dev.p2psuite.identity.PeerAuthenticator;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.auth.v1.ChallengeRequest;
import dev.p2psuite.proto.auth.v1.ChallengeResponse;
import dev.p2psuite.proto.auth.v1.PeerAuthGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Dials an address on a fresh connection and asks {@code PeerAuth/Challenge} there: the answer, signed over our
 * fresh nonce, proves which node holds that address now (relay_peer.proto {@code DialBackOutcome}). A new
 * connection each time, as reachability from outside is the point; nothing else is sent.
 */
final class ChallengeProbe {

    /** What one dial found. */
    enum Outcome { REACHABLE, UNREACHABLE, WRONG_NODE }

    /** @param rttMs connect plus challenge round trip, when REACHABLE */
    record Result(Outcome outcome, long rttMs, String detail) {
    }

    private final SecureRandom random;

    ChallengeProbe(SecureRandom random) {
        this.random = random;
    }

    /** Dials {@code address} (no name lookup: it is already resolved) and checks that {@code expected} answers. */
    CompletableFuture<Result> check(InetSocketAddress address, NodeId expected, Duration timeout) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(address)
                .usePlaintext()
                .maxInboundMessageSize(WireLimits.MAX_MESSAGE_BYTES)
                .disableRetry()
                .build();
        byte[] nonce = PeerAuthClient.newClientNonce(random);
        long start = System.nanoTime();
        return GrpcFutures.unary(channel, PeerAuthGrpc.getChallengeMethod(),
                        CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS),
                        ChallengeRequest.newBuilder().setClientNonce(ByteString.copyFrom(nonce)).build())
                .handle((response, failure) -> {
                    channel.shutdownNow();
                    long rttMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    if (failure != null) {
                        return failed(failure);
                    }
                    return verify(response, nonce, expected, rttMs);
                });
    }

    private static Result failed(Throwable failure) {
        Throwable e = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (e instanceof StatusRuntimeException s) {
            Status.Code code = s.getStatus().getCode();
            if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
                return new Result(Outcome.UNREACHABLE, 0, "no connection: " + s.getStatus());
            }
            return new Result(Outcome.WRONG_NODE, 0, "something answered, but not PeerAuth: " + s.getStatus());
        }
        return new Result(Outcome.UNREACHABLE, 0, "no connection: " + e);
    }

    private static Result verify(ChallengeResponse response, byte[] nonce, NodeId expected, long rttMs) {
        try {
            SignedPeerRecord responder = PeerRecords.fromProto(response.getResponder(), "responder");
            responder.verify();
            byte[] serverNonce = response.getServerNonce().toByteArray();
            if (serverNonce.length != PeerAuthenticator.SERVER_NONCE_BYTES || !NodeKey.verify(
                    responder.record().publicKey(), PeerAuthenticator.responderMessage(nonce, serverNonce),
                    response.getResponderSignature().toByteArray())) {
                return new Result(Outcome.WRONG_NODE, 0, "the answer is not signed over our nonce by node "
                        + responder.nodeId().toHex());
            }
            if (!responder.nodeId().equals(expected)) {
                return new Result(Outcome.WRONG_NODE, 0, "node " + responder.nodeId().toHex() + " answered, not "
                        + expected.toHex());
            }
            return new Result(Outcome.REACHABLE, rttMs, "node " + expected.toHex() + " answered");
        } catch (IllegalArgumentException | InvalidRecordException e) {
            return new Result(Outcome.WRONG_NODE, 0, "the answer carries no valid record: " + e.getMessage());
        }
    }
}
