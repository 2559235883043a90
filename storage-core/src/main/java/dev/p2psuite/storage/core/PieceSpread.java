package dev.p2psuite.storage.core;

import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What an uploader can see of the pieces it sent being passed on, the signal of BEP 16 super-seeding: a piece it sent
 * to exactly one peer that later shows up in the bitfield of another peer it never sent that piece to can only have
 * come from that one recipient (directly or through others), so the recipient uploaded it. A free rider's pieces never
 * show up anywhere else. This is how a seed, which receives nothing and so cannot rank peers by what they give it,
 * still tells contributors from free riders; bitfields arrive with piece requests (BEP 3: peers tell each other what
 * they have). It holds only for pieces this node had before anyone else, as BEP 16 assumes of an initial seed: a piece
 * it received itself ({@link #onReceived}) is held by its sender too, so seeing it elsewhere proves nothing. (Nor does
 * it hold with several initial seeds; a wrong credit only makes a peer count as a contributor.) Not thread-safe (the
 * {@link Choker} guards it). At most {@link #MAX_CONTENTS} contents are tracked, the least recently used forgotten
 * first; per peer, only the pieces sent within the last grace period are queued.
 */
final class PieceSpread {

    /** Contents tracked at once; each costs a reference, two bits and at most one queue entry per piece. */
    static final int MAX_CONTENTS = 16;

    private static final class Content {
        /** The one peer each piece was sent to; null = never sent. */
        final NodeId[] recipient;
        /** Sent to more than one peer, or received from one: its spread proves nothing. */
        final Bitfield sentToSeveral;
        /** Sent to one peer and not yet seen elsewhere: the pieces a bitfield can still credit. */
        final Bitfield pending;
        /** When each piece was sent to its one recipient. */
        final Instant[] sentAt;
        boolean forgotten;

        Content(int pieceCount) {
            this.recipient = new NodeId[pieceCount];
            this.sentAt = new Instant[pieceCount];
            this.sentToSeveral = new Bitfield(pieceCount);
            this.pending = new Bitfield(pieceCount);
        }
    }

    /** A piece sent to one peer alone, and when. */
    private record Sent(Content content, int index, Instant at) {
    }

    /** Per peer, the pieces sent to it alone, oldest first (drained by {@link #keptToItself}). */
    private final Map<NodeId, Deque<Sent>> sentAlone = new HashMap<>();
    /** Peers a piece sent to them alone stayed with for a whole grace period, seen nowhere else. */
    private final Set<NodeId> keptBack = new HashSet<>();

    private final Map<ContentId, Content> contents = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ContentId, Content> eldest) {
            if (size() <= MAX_CONTENTS) {
                return false;
            }
            eldest.getValue().forgotten = true;
            return true;
        }
    };

    /** Piece {@code index} of a content of {@code pieceCount} pieces was received from a peer: not ours alone. */
    void onReceived(ContentId content, int pieceCount, int index) {
        Content c = content(content, pieceCount);
        if (index >= 0 && index < pieceCount) {
            c.sentToSeveral.set(index);
            c.pending.clear(index);
        }
    }

    /**
     * Piece {@code index} of a content of {@code pieceCount} pieces was sent to {@code peer} at {@code now}. Sending it
     * to a second peer when its one recipient has held it for {@code grace} and it was seen nowhere else is evidence
     * too: the second peer had to come to us for it.
     */
    void onSent(NodeId peer, ContentId content, int pieceCount, int index, Instant now, Duration grace) {
        Objects.requireNonNull(peer, "peer");
        Content c = content(content, pieceCount);
        if (index < 0 || index >= pieceCount || c.sentToSeveral.get(index)) {
            return;
        }
        keptToItself(peer, now, grace); // settles the pieces whose grace is over, so the queue stays short
        NodeId first = c.recipient[index];
        if (first == null) {
            c.recipient[index] = peer;
            c.sentAt[index] = now;
            c.pending.set(index);
            sentAlone.computeIfAbsent(peer, k -> new ArrayDeque<>()).add(new Sent(c, index, now));
        } else if (!first.equals(peer)) {
            if (c.pending.get(index) && !now.isBefore(c.sentAt[index].plus(grace))) {
                keptBack.add(first);
            }
            c.sentToSeveral.set(index);
            c.pending.clear(index);
        }
    }

    /**
     * {@code peer} reported holding {@code have}. Returns, per recipient, how many of the pieces sent to it alone are
     * now seen at this other peer for the first time (each piece is credited once). Empty when nothing was sent.
     */
    Map<NodeId, Integer> onHave(NodeId peer, ContentId content, Bitfield have) {
        Objects.requireNonNull(peer, "peer");
        Content c = contents.get(content);
        if (c == null || c.recipient.length != have.pieceCount()) {
            return Map.of();
        }
        Map<NodeId, Integer> credited = new HashMap<>();
        for (int i = c.pending.nextSetBit(0); i >= 0; i = c.pending.nextSetBit(i + 1)) {
            if (have.get(i) && !c.recipient[i].equals(peer)) {
                c.pending.clear(i);
                credited.merge(c.recipient[i], 1, Integer::sum);
            }
        }
        return credited;
    }

    /**
     * True once a piece sent to {@code peer} alone was still seen nowhere else {@code grace} after it was sent: evidence
     * that the peer keeps what it gets (a peer whose pieces from us all went to others too shows nothing either way).
     */
    boolean keptToItself(NodeId peer, Instant now, Duration grace) {
        Deque<Sent> queue = sentAlone.get(peer);
        while (queue != null && !queue.isEmpty() && !now.isBefore(queue.peek().at().plus(grace))) {
            Sent s = queue.poll();
            if (!s.content().forgotten && s.content().pending.get(s.index())) {
                keptBack.add(peer);
            }
        }
        if (queue != null && queue.isEmpty()) {
            sentAlone.remove(peer);
        }
        return keptBack.contains(peer);
    }

    /** Forgets what was recorded about the peer. */
    void forget(NodeId peer) {
        sentAlone.remove(peer);
        keptBack.remove(peer);
    }

    private Content content(ContentId content, int pieceCount) {
        Content c = contents.get(Objects.requireNonNull(content, "content"));
        if (c == null || c.recipient.length != pieceCount) {
            if (c != null) {
                c.forgotten = true;
            }
            c = new Content(pieceCount);
            contents.put(content, c);
        }
        return c;
    }
}
