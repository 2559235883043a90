package dev.p2psuite.dht.core;

import dev.p2psuite.identity.NodeId;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The Kademlia RPCs this node sends to others (p2p.dht.v1.DhtPeer), behind an interface so that the same
 * core runs over gRPC, inside the simulator, or against lying, slow or dead test peers (DESIGN.md 3.4).
 * Every call completes exceptionally when the peer fails (unreachable, timeout, refusal); contacts in
 * results are already verified by the implementation.
 */
public interface PeerRpc {

    /** Liveness check; completes with the peer as it now describes itself. */
    CompletableFuture<Contact> ping(Contact peer);

    /**
     * Liveness check of a node known only by its address (a configured bootstrap address): dial it, let the
     * handshake authenticate whoever answers, Ping, and complete with that node as it describes itself. The
     * default cannot dial bare addresses and fails; adapters that can (gRPC) override it.
     */
    default CompletableFuture<Contact> pingAddress(Endpoint endpoint) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException(
                "this PeerRpc cannot dial bare addresses (" + endpoint + "); configure bootstrap nodes as contacts"));
    }

    /** FIND_NODE: up to k contacts the peer knows closest to {@code target}. */
    CompletableFuture<List<Contact>> findNode(Contact peer, NodeId target);

    /** FIND_VALUE: the record the peer holds for {@code key}, or else its closest contacts. */
    CompletableFuture<FoundValue> findValue(Contact peer, NodeId key);

    /** STORE a record on the peer. */
    CompletableFuture<StoreOutcome> store(Contact peer, ValueRecord record);

    /** Announces {@code provider} (this node) as a provider of {@code key} for {@code ttlSeconds}. */
    CompletableFuture<Boolean> addProvider(Contact peer, NodeId key, Contact provider, long ttlSeconds);

    /** Providers the peer holds for {@code key}, and its closest contacts. */
    CompletableFuture<FoundProviders> getProviders(Contact peer, NodeId key);

    /** PEX (BEP 11): send peers seen alive, receive the peer's. */
    CompletableFuture<List<Contact>> exchangePeers(Contact peer, List<Contact> alive);

    /** A FIND_VALUE answer: the record if held (closer may then be empty), else closer contacts. */
    record FoundValue(ValueRecord record, List<Contact> closer) {
        public FoundValue {
            closer = List.copyOf(closer);
        }
    }

    /** A GET_PROVIDERS answer. */
    record FoundProviders(List<Contact> providers, List<Contact> closer) {
        public FoundProviders {
            providers = List.copyOf(providers);
            closer = List.copyOf(closer);
        }
    }

    /** What a STORE did (p2p.dht.v1.StoreOutcome); {@code heldSeq} is the seq kept after the call, 0 if none. */
    record StoreOutcome(Kind kind, long heldSeq) {
        public enum Kind { STORED, STALE, CONFLICT }
    }
}
