package dev.p2psuite.dht.sim;

import dev.p2psuite.dht.core.Contact;
import dev.p2psuite.dht.core.DhtNode;
import dev.p2psuite.dht.core.Endpoint;
import dev.p2psuite.identity.Candidate;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import java.util.List;
import java.util.SplittableRandom;

/** One simulated node: its key and signed record, the real {@link DhtNode} it runs, and how it behaves. */
public final class SimNode {

    /** Port every simulated node listens on (addresses differ). */
    public static final int PORT = 4001;

    /** How a node answers others. */
    public enum Behaviour {
        /** Runs the real core unchanged. */
        HONEST,
        /**
         * Answers FIND_NODE / FIND_VALUE / GET_PROVIDERS with bogus contacts: forged records claiming IDs right next
         * to the target, and validly signed records of sybil nodes that do not exist (they never answer).
         */
        BOGUS_CONTACTS,
        /** Answers FIND_VALUE with forged value records and PEX with forged peer records. */
        FORGED_RECORDS
    }

    private final int index;
    private final NodeKey key;
    private final Contact contact;
    private final long seed;
    volatile DhtNode node;
    volatile boolean alive;
    int partition;
    int side;
    Behaviour behaviour = Behaviour.HONEST;

    SimNode(int index, NodeKey key, Contact contact, long seed) {
        this.index = index;
        this.key = key;
        this.contact = contact;
        this.seed = seed;
    }

    /**
     * Node {@code index} of a network seeded with {@code seed}: its Ed25519 key from the seeded random, a
     * signed record, and a public-looking IPv4 address on a random /24 (first octet 11..99, clear of private
     * ranges, so the diversity limit applies as on the Internet). Pure: safe to call from parallel streams.
     */
    public static SimNode create(int index, long seed) {
        SplittableRandom r = new SplittableRandom(mix(seed, index));
        byte[] secret = new byte[NodeKey.PRIVATE_KEY_BYTES];
        r.nextBytes(secret);
        NodeKey key = NodeKey.fromPrivateKey(secret);
        String host = (11 + r.nextInt(89)) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));
        SignedPeerRecord record = SignedPeerRecord.sign(key, 1, List.of(Candidate.host(host, PORT)));
        return new SimNode(index, key, new Contact(key.nodeId(), new Endpoint(host, PORT), record), r.nextLong());
    }

    /**
     * The same node with its contact rebuilt from fresh objects (ID bytes, ID, address, contact allocated back to
     * back). Used once after parallel creation, whose garbage scatters these objects; lookups read them for every
     * contact in every answer, so keeping them on one or two cache lines matters at 100,000 nodes.
     */
    SimNode compacted() {
        NodeId id = NodeId.of(contact.id().bytes());
        Endpoint endpoint = new Endpoint(contact.endpoint().host(), contact.endpoint().port());
        return new SimNode(index, key, new Contact(id, endpoint, contact.record()), seed);
    }

    static long mix(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public int index() {
        return index;
    }

    public NodeKey key() {
        return key;
    }

    public NodeId id() {
        return contact.id();
    }

    public Contact contact() {
        return contact;
    }

    /** Seed for this node's own random generator. */
    public long seed() {
        return seed;
    }

    /** The running core, or null before start. */
    public DhtNode node() {
        return node;
    }

    public boolean alive() {
        return alive;
    }

    /** The simulation partition (thread) this node runs in. */
    public int partition() {
        return partition;
    }

    public int side() {
        return side;
    }

    public Behaviour behaviour() {
        return behaviour;
    }

    public void behaviour(Behaviour b) {
        this.behaviour = b;
    }

    @Override
    public String toString() {
        return "node" + index + "(" + contact.id() + (alive ? "" : ", dead") + ")";
    }
}
