package dev.p2psuite.identity;

import java.util.Arrays;
import java.util.Objects;

/**
 * The responder's answer to a client nonce: a fresh single-use server nonce, the responder's record, and its
 * signature over "p2p-auth-v1/responder" | client nonce | server nonce, which proves the responder holds its key now.
 */
public record Challenge(byte[] serverNonce, SignedPeerRecord responder, byte[] responderSignature) {

    public Challenge {
        Objects.requireNonNull(serverNonce, "server nonce");
        Objects.requireNonNull(responder, "responder record");
        Objects.requireNonNull(responderSignature, "responder signature");
        serverNonce = serverNonce.clone();
        responderSignature = responderSignature.clone();
    }

    @Override
    public byte[] serverNonce() {
        return serverNonce.clone();
    }

    @Override
    public byte[] responderSignature() {
        return responderSignature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Challenge c && Arrays.equals(serverNonce, c.serverNonce) && responder.equals(c.responder)
                && Arrays.equals(responderSignature, c.responderSignature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(serverNonce), responder, Arrays.hashCode(responderSignature));
    }

    @Override
    public String toString() {
        return "Challenge[responder=" + responder.nodeId().toHex() + "]";
    }
}
