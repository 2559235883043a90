package dev.p2psuite.storage.core;

import dev.p2psuite.identity.NodeId;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Node-wide record of bad pieces per authenticated peer, shared by every download (and consulted when serving: a
 * banned peer gets PERMISSION_DENIED). A peer is banned once it has sent {@link #banAfterBadPieces()} pieces that
 * failed verification. Thread-safe. Bans last for the life of the process.
 *
 * <p>Default 2: pieces are whole 256 KiB units from a single peer over an authenticated, checksummed transport, so
 * every failed hash is that peer's fault alone (no BitTorrent "smart ban" needed to find the culprit among block
 * senders). One failure is tolerated because an honest peer can hold one rotten piece (disk error, a bug); the
 * picker never asks it for that piece again while someone else has it. A second bad piece is a pattern: ban. The most
 * a liar costs a node is then 2 x 256 KiB of wasted download.
 */
public final class PeerPenalties {

    /** Bad pieces after which a peer is banned (see class comment for why 2). */
    public static final int DEFAULT_BAN_AFTER_BAD_PIECES = 2;

    private final int banAfterBadPieces;
    private final Map<NodeId, Integer> badPieces = new ConcurrentHashMap<>();

    public PeerPenalties() {
        this(DEFAULT_BAN_AFTER_BAD_PIECES);
    }

    public PeerPenalties(int banAfterBadPieces) {
        if (banAfterBadPieces < 1) {
            throw new IllegalArgumentException("ban threshold must be >= 1 bad piece, got " + banAfterBadPieces);
        }
        this.banAfterBadPieces = banAfterBadPieces;
    }

    /** Counts one piece from {@code peer} that failed verification; returns true if the peer is now banned. */
    public boolean recordBadPiece(NodeId peer) {
        Objects.requireNonNull(peer, "peer");
        return badPieces.merge(peer, 1, Integer::sum) >= banAfterBadPieces;
    }

    public boolean isBanned(NodeId peer) {
        return badPieces.getOrDefault(peer, 0) >= banAfterBadPieces;
    }

    /** Pieces from {@code peer} that failed verification so far. */
    public int badPieces(NodeId peer) {
        return badPieces.getOrDefault(peer, 0);
    }

    public int banAfterBadPieces() {
        return banAfterBadPieces;
    }

    /** Every banned peer. */
    public Set<NodeId> banned() {
        return badPieces.entrySet().stream()
                .filter(e -> e.getValue() >= banAfterBadPieces)
                .map(Map.Entry::getKey)
                .collect(Collectors.toUnmodifiableSet());
    }
}
