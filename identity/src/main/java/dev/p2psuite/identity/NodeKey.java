package dev.p2psuite.identity;

import java.security.SecureRandom;
import java.util.Objects;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * A node's Ed25519 key pair (RFC 8032, raw 32-byte keys, 64-byte signatures). Signing is deterministic, so the
 * same key and message always give the same signature.
 */
public final class NodeKey {

    public static final int PRIVATE_KEY_BYTES = 32;
    public static final int PUBLIC_KEY_BYTES = 32;
    public static final int SIGNATURE_BYTES = 64;

    private final Ed25519PrivateKeyParameters privateKey;
    private final byte[] publicKey;
    private final NodeId nodeId;

    private NodeKey(Ed25519PrivateKeyParameters privateKey) {
        this.privateKey = privateKey;
        this.publicKey = privateKey.generatePublicKey().getEncoded();
        this.nodeId = NodeId.fromPublicKey(publicKey);
    }

    public static NodeKey generate(SecureRandom random) {
        Objects.requireNonNull(random, "random");
        return new NodeKey(new Ed25519PrivateKeyParameters(random));
    }

    /** Rebuilds the pair from the raw 32-byte private key (the RFC 8032 seed). */
    public static NodeKey fromPrivateKey(byte[] privateKey) {
        Objects.requireNonNull(privateKey, "private key");
        if (privateKey.length != PRIVATE_KEY_BYTES) {
            throw new IllegalArgumentException(
                    "Ed25519 private key must be " + PRIVATE_KEY_BYTES + " bytes, got " + privateKey.length);
        }
        return new NodeKey(new Ed25519PrivateKeyParameters(privateKey, 0));
    }

    public byte[] privateKeyBytes() {
        return privateKey.getEncoded();
    }

    /** The raw 32-byte public key. */
    public byte[] publicKey() {
        return publicKey.clone();
    }

    public NodeId nodeId() {
        return nodeId;
    }

    /** A 64-byte Ed25519 signature over {@code message}. */
    public byte[] sign(byte[] message) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, privateKey);
        signer.update(message, 0, message.length);
        return signer.generateSignature();
    }

    /**
     * Whether {@code signature} is a valid Ed25519 signature of {@code message} by {@code publicKey}. Returns false,
     * never throws, for null or wrongly sized input or a key that is not a valid curve point: callers feed it
     * untrusted bytes straight from the wire.
     */
    public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (publicKey == null || message == null || signature == null
                || publicKey.length != PUBLIC_KEY_BYTES || signature.length != SIGNATURE_BYTES) {
            return false;
        }
        try {
            Ed25519Signer verifier = new Ed25519Signer();
            verifier.init(false, new Ed25519PublicKeyParameters(publicKey, 0));
            verifier.update(message, 0, message.length);
            return verifier.verifySignature(signature);
        } catch (RuntimeException invalidKey) {
            return false;
        }
    }

    /** Never shows the private key. */
    @Override
    public String toString() {
        return "NodeKey[nodeId=" + nodeId.toHex() + "]";
    }
}
