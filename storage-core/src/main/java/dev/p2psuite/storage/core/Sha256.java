package dev.p2psuite.storage.core;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 helpers with one reusable digest per thread (getInstance per call costs more than hashing a hash). */
final class Sha256 {

    static final int DIGEST_BYTES = 32;

    private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(Sha256::newDigest);

    private Sha256() {
    }

    static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }

    /** The thread's digest, reset. Callers must finish with {@code digest()} before calling any other helper. */
    static MessageDigest threadDigest() {
        MessageDigest md = DIGEST.get();
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
