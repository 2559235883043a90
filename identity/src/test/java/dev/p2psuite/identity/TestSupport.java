package dev.p2psuite.identity;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;

/** Deterministic randomness and time for tests. */
final class TestSupport {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private TestSupport() {
    }

    /** SHA1PRNG seeded before first use is a fixed sequence, unlike the default SecureRandom. */
    static SecureRandom seeded(long seed) {
        try {
            SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
            r.setSeed(seed);
            return r;
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static NodeKey key(long seed) {
        return NodeKey.generate(seeded(seed));
    }

    static List<Candidate> someCandidates(NodeKey relay) {
        return List.of(
                Candidate.host("192.168.1.20", 4001),
                Candidate.serverReflexive("203.0.113.7", 40123),
                Candidate.relayed("relay.example.org", 4001, relay.nodeId()));
    }

    static final class MutableClock implements InstantSource {
        private volatile Instant now;

        MutableClock(Instant start) {
            this.now = start;
        }

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }
}
