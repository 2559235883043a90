package dev.p2psuite.dht.core;

import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.PeerRecord;
import dev.p2psuite.identity.SignedPeerRecord;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.SplittableRandom;

/** Helpers shared by the core tests. */
final class TestSupport {

    private TestSupport() {
    }

    /** A clock the test moves by hand. */
    static final class MutableClock implements InstantSource {
        private long now;

        MutableClock(long startMs) {
            this.now = startMs;
        }

        MutableClock() {
            this(1_700_000_000_000L);
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now);
        }

        @Override
        public long millis() {
            return now;
        }

        void advance(Duration d) {
            now += d.toMillis();
        }
    }

    /**
     * A contact with the given ID and address whose record is not validly signed: the routing table and lookups
     * trust the contacts they are given (adapters verify), so their tests need no real keys.
     */
    static Contact contact(NodeId id, String host, int port) {
        PeerRecord record = new PeerRecord(id, new byte[NodeKey.PUBLIC_KEY_BYTES], 1,
                List.of(Candidate.host(host, port)));
        return new Contact(id, new Endpoint(host, port),
                new SignedPeerRecord(record, new byte[NodeKey.SIGNATURE_BYTES]));
    }

    /** A contact at a random public-looking IPv4 address (its own /24, so diversity limits never bite). */
    static Contact contact(NodeId id, SplittableRandom random) {
        String host = (11 + random.nextInt(89)) + "." + random.nextInt(256) + "." + random.nextInt(256) + "."
                + (1 + random.nextInt(254));
        return contact(id, host, 4001);
    }

    /** A real key from a seeded random, and its validly signed contact. */
    static NodeKey key(long seed) {
        byte[] secret = new byte[NodeKey.PRIVATE_KEY_BYTES];
        new SplittableRandom(seed).nextBytes(secret);
        return NodeKey.fromPrivateKey(secret);
    }

    static Contact signedContact(NodeKey key, String host) {
        return Contact.of(SignedPeerRecord.sign(key, 1, List.of(Candidate.host(host, 4001))));
    }
}
