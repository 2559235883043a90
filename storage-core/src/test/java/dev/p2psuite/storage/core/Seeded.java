package dev.p2psuite.storage.core;

import java.util.SplittableRandom;

/**
 * Property-style checks as plain loops over seeded samples: each sample gets its own generator, and a failure names
 * the seed so it can be replayed ({@code -Dstorage.core.seed=N} runs just that one).
 */
final class Seeded {

    interface Sample {
        void run(SplittableRandom random) throws Exception;
    }

    private Seeded() {
    }

    static void forEachSeed(int samples, long firstSeed, Sample sample) {
        String only = System.getProperty("storage.core.seed");
        long from = only != null ? Long.parseLong(only) : firstSeed;
        int count = only != null ? 1 : samples;
        for (long seed = from; seed < from + count; seed++) {
            try {
                sample.run(new SplittableRandom(seed));
            } catch (Throwable t) {
                System.err.println("property failed for seed " + seed + " (rerun with -Dstorage.core.seed=" + seed + ")");
                throw new AssertionError("failed for seed " + seed + ": " + t.getMessage(), t);
            }
        }
    }
}
