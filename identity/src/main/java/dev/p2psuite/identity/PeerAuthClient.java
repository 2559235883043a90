package dev.p2psuite.identity;

import java.security.SecureRandom;
import java.util.Objects;

/** Caller side of the handshake described on {@link PeerAuthenticator}. */
public final class PeerAuthClient {

    public static final int CLIENT_NONCE_BYTES = 32;

    private PeerAuthClient() {
    }

    public static byte[] newClientNonce(SecureRandom random) {
        byte[] nonce = new byte[CLIENT_NONCE_BYTES];
        random.nextBytes(nonce);
        return nonce;
    }

    /**
     * Checks that the responder proved its identity over {@code clientNonce} and returns the caller signature to
     * send with Authenticate. Add {@code challenge.responder()} to a {@link PeerRecordBook} to learn its record.
     *
     * @param expectedResponderOrNull the node ID that was dialed, or null when any authentic node will do (e.g. a
     *                                bootstrap address whose ID is not known yet)
     * @throws AuthenticationException if the responder's record is invalid, its signature does not verify, or it is
     *                                 not the node that was dialed
     */
    public static byte[] answerChallenge(NodeKey self, byte[] clientNonce, Challenge challenge,
                                         NodeId expectedResponderOrNull) throws AuthenticationException {
        Objects.requireNonNull(self, "self key");
        Objects.requireNonNull(clientNonce, "client nonce");
        if (challenge == null) {
            throw new AuthenticationException("the responder sent no challenge");
        }
        SignedPeerRecord responder = challenge.responder();
        try {
            responder.verify();
        } catch (InvalidRecordException e) {
            throw new AuthenticationException("responder's peer record is invalid (" + e.reason() + "): "
                    + e.getMessage(), e);
        }
        NodeId responderId = responder.nodeId();
        byte[] serverNonce = challenge.serverNonce();
        if (serverNonce.length != PeerAuthenticator.SERVER_NONCE_BYTES) {
            throw new AuthenticationException("responder " + responderId.toHex() + " sent a server nonce of "
                    + serverNonce.length + " bytes, expected " + PeerAuthenticator.SERVER_NONCE_BYTES);
        }
        if (!NodeKey.verify(responder.record().publicKey(),
                PeerAuthenticator.responderMessage(clientNonce, serverNonce), challenge.responderSignature())) {
            throw new AuthenticationException("responder signature over our nonce does not verify with the key of node "
                    + responderId.toHex() + ": the responder does not hold that node's key (forged or replayed challenge)");
        }
        if (expectedResponderOrNull != null && !expectedResponderOrNull.equals(responderId)) {
            throw new AuthenticationException("dialed " + expectedResponderOrNull.toHex() + " but the node answered as "
                    + responderId.toHex() + "; the address is stale or the node is an impostor");
        }
        return self.sign(PeerAuthenticator.callerMessage(serverNonce, responderId, self.nodeId()));
    }
}
