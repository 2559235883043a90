package dev.p2psuite.storage.core;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;

/**
 * SHA-256 helpers with one reusable digest per thread (getInstance per call costs more than hashing a hash). Every
 * piece and manifest hash of this module comes from here; which JCA provider computes them is chosen once per process
 * ({@link #use}): the platform's by default.
 */
public final class Sha256 {

    static final int DIGEST_BYTES = 32;

    private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Sha256::newDigest);
    /** The provider asked for SHA-256; null = the platform's preferred one. */
    private static volatile Provider provider;

    private Sha256() {
    }

    /**
     * Computes every later hash with {@code sha256}'s SHA-256 (null: the platform's again). For a service whose JIT
     * cannot make the JDK's own fast (its SHA-256 is an intrinsic of the C2 compiler only).
     */
    public static void use(Provider sha256) {
        provider = sha256;
    }

    /** The name of the provider that computes the hashes, e.g. "SUN" or "SunPKCS11-NSS". */
    public static String implementation() {
        return newDigest().getProvider().getName();
    }

    static MessageDigest newDigest() {
        Provider p = provider;
        try {
            return p == null ? MessageDigest.getInstance("SHA-256") : MessageDigest.getInstance("SHA-256", p);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(p == null ? "every Java platform must provide SHA-256"
                    : "provider " + p.getName() + " has no SHA-256", e);
        }
    }

    /** The thread's digest, reset. Callers must finish with {@code digest()} before calling any other helper. */
    static MessageDigest threadDigest() {
        MessageDigest md = DIGEST.get();
        Provider p = provider;
        if (p != null && md.getProvider() != p) { // made before use(): replace it
            md = newDigest();
            DIGEST.set(md);
        }
        md.reset();
        return md;
    }

    static byte[] hash(byte[] data, int offset, int length) {
        MessageDigest md = threadDigest();
        md.update(data, offset, length);
        return md.digest();
    }

    /** Hashes the remaining bytes of {@code data} without moving its position. */
    static byte[] hash(ByteBuffer data) {
        MessageDigest md = threadDigest();
        md.update(data.duplicate());
        return md.digest();
    }

    static byte[] sha1(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-1", e);
        }
    }
}
