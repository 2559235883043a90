package dev.p2psuite.identity;

import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Minimal seeded property checking: runs a check over many generated samples and names the failing sample's seed,
 * so a failure reproduces exactly with {@code forAll(1, seed, check)}.
 */
final class SeededProperties {

    static final int DEFAULT_TRIES = 1_000;

    private SeededProperties() {
    }

    static void forAll(long seed, Consumer<SplittableRandom> check) {
        forAll(DEFAULT_TRIES, seed, check);
    }

    static void forAll(int tries, long seed, Consumer<SplittableRandom> check) {
        SplittableRandom seeds = new SplittableRandom(seed);
        for (int i = 0; i < tries; i++) {
            long sampleSeed = seeds.nextLong();
            try {
                check.accept(new SplittableRandom(sampleSeed));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("property failed on sample " + i + " (reproduce with sample seed "
                        + sampleSeed + "L): " + e.getMessage(), e);
            }
        }
    }

    static byte[] bytes(SplittableRandom r, int length) {
        byte[] b = new byte[length];
        r.nextBytes(b);
        return b;
    }

    /** Random IDs, biased towards IDs that share long prefixes or are extreme, where bit arithmetic breaks. */
    static NodeId id(SplittableRandom r) {
        byte[] b = bytes(r, NodeId.LENGTH_BYTES);
        switch (r.nextInt(8)) {
            case 0 -> java.util.Arrays.fill(b, (byte) 0);
            case 1 -> java.util.Arrays.fill(b, (byte) 0xff);
            case 2 -> java.util.Arrays.fill(b, 0, r.nextInt(NodeId.LENGTH_BYTES), (byte) 0);
            default -> { }
        }
        return NodeId.of(b);
    }

    /** An ID equal to {@code base} except for a few random low bits, so pairs often share long prefixes. */
    static NodeId near(NodeId base, SplittableRandom r) {
        byte[] b = base.bytes();
        int bit = r.nextInt(NodeId.LENGTH_BITS);
        b[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
        return r.nextBoolean() ? NodeId.of(b) : base;
    }
}
