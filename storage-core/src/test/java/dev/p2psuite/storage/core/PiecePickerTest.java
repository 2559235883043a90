package dev.p2psuite.storage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.NodeId;
import dev.p2psuite.storage.core.PiecePicker.Config;
import dev.p2psuite.storage.core.PiecePicker.FailureReason;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PiecePickerTest {

    static NodeId peer(int n) {
        byte[] b = new byte[NodeId.LENGTH_BYTES];
        b[0] = (byte) n;
        b[19] = (byte) (n >> 8);
        return NodeId.of(b);
    }

    static Bitfield range(int pieceCount, int fromInclusive, int toExclusive) {
        Bitfield b = new Bitfield(pieceCount);
        for (int i = fromInclusive; i < toExclusive; i++) {
            b.set(i);
        }
        return b;
    }

    private static PiecePicker picker(int pieces, Config config, PeerPenalties penalties, long seed) {
        return new PiecePicker(pieces, new Bitfield(pieces), null, config, penalties, new SplittableRandom(seed));
    }

    private static final NodeId A = peer(1);
    private static final NodeId B = peer(2);
    private static final NodeId C = peer(3);

    @Test
    void rarestPiecesAreRequestedFirst() {
        // A has 0..99, B has 0..49, C has 0..24: availability 3 for 0..24, 2 for 25..49, 1 for 50..99.
        PiecePicker p = picker(100, new Config(64, 3), new PeerPenalties(), 1);
        p.addPeer(A, Bitfield.full(100));
        p.addPeer(B, range(100, 0, 50));
        p.addPeer(C, range(100, 0, 25));
        List<Integer> order = new ArrayList<>();
        while (order.size() < 100) {
            int i = p.pickNext(A).orElseThrow();
            order.add(i);
            p.onPieceVerified(A, i); // keeps A's pipeline free
        }
        assertThat(order.subList(0, 50)).allMatch(i -> i >= 50);
        assertThat(order.subList(50, 75)).allMatch(i -> i >= 25 && i < 50);
        assertThat(order.subList(75, 100)).allMatch(i -> i < 25);
        assertThat(order.subList(0, 50)).isNotEqualTo(new ArrayList<>(order.subList(0, 50)).stream().sorted().toList())
                .as("random order among equally rare pieces");
        assertThat(p.isComplete()).isTrue();
    }

    @Test
    void inOrderRequestsTheEarliestMissingPiecesSoAStreamingReaderAdvances() {
        PiecePicker p = picker(100, new Config(8, 3), new PeerPenalties(), 4);
        p.setInOrder(true);
        p.addPeer(A, Bitfield.full(100)); // seeds only: nobody to trade with, so strictly in order
        p.addPeer(B, Bitfield.full(100));
        assertThat(p.pickUpTo(A, 64)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        assertThat(p.pickUpTo(B, 64)).containsExactly(8, 9, 10, 11, 12, 13, 14, 15);
        p.onPieceFailed(A, 3, PiecePicker.FailureReason.TIMEOUT);
        p.onPieceVerified(B, 8);
        assertThat(p.pickUpTo(B, 2)).containsExactly(3).as("a failed piece comes back first, elsewhere");
        p.onPieceVerified(A, 0);
        assertThat(p.pickUpTo(A, 2)).containsExactly(16, 17);
    }

    @Test
    void aReadLimitHoldsPicksBelowItUntilRaised() {
        PiecePicker p = picker(200, new Config(8, 3), new PeerPenalties(), 4);
        p.setInOrder(true);
        p.addPeer(A, Bitfield.full(200));
        p.setPipelineDepth(A, 64);
        p.setReadLimit(70); // crosses a 64-piece word of the bitfields
        assertThat(p.pickUpTo(A, 64)).hasSize(64).doesNotContain(64, 65);
        assertThat(p.pickUpTo(A, 64)).as("the pipeline is full").isEmpty();
        p.onPieceVerified(A, 0);
        assertThat(p.pickUpTo(A, 64)).containsExactly(64);
        p.onPieceVerified(A, 1);
        p.onPieceVerified(A, 2);
        assertThat(p.pickUpTo(A, 64)).containsExactly(65, 66);
        p.onPieceVerified(A, 3);
        p.onPieceVerified(A, 4);
        p.onPieceVerified(A, 5);
        p.onPieceVerified(A, 6);
        assertThat(p.pickUpTo(A, 64)).as("69 is the last below the limit").containsExactly(67, 68, 69);
        assertThat(p.waitsForReader()).as("pieces 7..69 are missing below the limit").isFalse();
        p.setReadLimit(0);
        assertThat(p.pickUpTo(A, 64)).as("limit 0: nothing").isEmpty();
        assertThat(p.waitsForReader()).isTrue();
        p.setReadLimit(Integer.MAX_VALUE);
        assertThat(p.pickUpTo(A, 64)).as("room for one: 63 in flight").containsExactly(70);
        assertThat(p.isEndgame()).as("pieces held back by the limit are not endgame").isFalse();
        assertThat(p.waitsForReader()).isFalse();
    }

    @Test
    void aReadLimitDoesNotHoldBackADownloadAmongLeechers() {
        PiecePicker p = picker(200, new Config(8, 3), new PeerPenalties(), 4);
        p.setInOrder(true);
        p.addPeer(A, Bitfield.full(200));
        p.addPeer(B, range(200, 100, 200)); // a leecher: pieces 0..99 are the rare ones, traded rarest first
        p.setPipelineDepth(A, 64);
        p.setReadLimit(10);
        assertThat(p.pickUpTo(A, 64)).hasSize(64);
        assertThat(p.waitsForReader()).isFalse();
    }

    @Test
    void aPeersPipelineDepthIsTheConfigsUntilSetForIt() {
        PiecePicker p = picker(100, new Config(8, 3), new PeerPenalties(), 4);
        p.addPeer(A, Bitfield.full(100));
        assertThat(p.pipelineDepth(A)).isEqualTo(8);
        p.setPipelineDepth(A, 32);
        assertThat(p.pipelineDepth(A)).isEqualTo(32);
        assertThat(p.pickUpTo(A, 64)).hasSize(32);
        assertThat(p.pipelineDepth(B)).as("unknown peer").isEqualTo(8);
        assertThatThrownBy(() -> p.setPipelineDepth(A, 65)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void streamingAmongLeechersFetchesOnlyAWindowInOrderAndTheRestRarestFirst() {
        PiecePicker p = picker(100, new Config(8, 3), new PeerPenalties(), 4);
        p.setInOrder(true);
        p.addPeer(A, Bitfield.full(100));
        p.addPeer(B, range(100, 50, 100)); // a leecher: pieces 0..49 are the rare ones
        List<Integer> first = list(p.pickUpTo(A, 64));
        assertThat(first).hasSize(8).startsWith(0, 1); // the reader's next pieces, in order
        List<Integer> beyond = first.subList(PiecePicker.STREAM_WINDOW, first.size());
        assertThat(beyond).as("then the rarest (0..49), at random, not the earliest")
                .allMatch(i -> i >= PiecePicker.STREAM_WINDOW && i < 50).isNotEqualTo(List.of(2, 3, 4, 5, 6, 7));
        p.onPieceVerified(A, 0);
        p.onPieceVerified(A, 1);
        // The window moved to 2..3: whichever of them is not requested yet comes next.
        List<Integer> windowNow = new ArrayList<>(List.of(2, 3));
        windowNow.removeAll(first);
        assertThat(list(p.pickUpTo(A, 2))).startsWith(windowNow.toArray(Integer[]::new));

        // Once the leecher is a seed too, strict order returns.
        PiecePicker later = picker(100, new Config(8, 3), new PeerPenalties(), 4);
        later.setInOrder(true);
        later.addPeer(A, Bitfield.full(100));
        later.addPeer(B, range(100, 50, 100));
        later.addPeer(B, Bitfield.full(100));
        assertThat(later.pickUpTo(A, 64)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    }

    private static List<Integer> list(int[] a) {
        List<Integer> out = new ArrayList<>();
        for (int x : a) {
            out.add(x);
        }
        return out;
    }

    @Test
    void rarestFirstSpreadsTiesUniformly() {
        // 10 equally rare pieces: over seeded runs each should come first about 1/10 of the time.
        int runs = 4000;
        int[] firsts = new int[10];
        for (int seed = 0; seed < runs; seed++) {
            PiecePicker p = picker(10, Config.DEFAULT, new PeerPenalties(), seed);
            p.addPeer(A, Bitfield.full(10));
            firsts[p.pickNext(A).orElseThrow()]++;
        }
        for (int count : firsts) {
            assertThat(count).isBetween(runs / 10 - 100, runs / 10 + 100);
        }
    }

    @Test
    void aPeerIsOnlyAskedForPiecesItHas() {
        PiecePicker p = picker(20, Config.DEFAULT, new PeerPenalties(), 2);
        p.addPeer(A, range(20, 5, 8));
        assertThat(p.pickUpTo(A, 64)).containsExactlyInAnyOrder(5, 6, 7);
        assertThat(p.pickNext(A)).isEmpty();
        p.onHave(A, 12);
        assertThat(p.pickNext(A)).hasValue(12);
        assertThat(p.pickNext(B)).isEmpty(); // unknown peer
    }

    @Test
    void pipelineDepthBoundsRequestsInFlightPerPeer() {
        PiecePicker p = picker(50, new Config(4, 3), new PeerPenalties(), 3);
        p.addPeer(A, Bitfield.full(50));
        p.addPeer(B, Bitfield.full(50));
        int[] first = p.pickUpTo(A, 64);
        assertThat(first).hasSize(4).doesNotHaveDuplicates();
        assertThat(p.pickNext(A)).isEmpty();
        assertThat(p.inFlight(A)).isEqualTo(4);
        int[] second = p.pickUpTo(B, 2);
        assertThat(second).hasSize(2);
        for (int i : second) {
            assertThat(first).doesNotContain(i); // outside endgame nothing is requested twice
        }
        p.onPieceVerified(A, first[0]);
        assertThat(p.pickUpTo(A, 64)).hasSize(1);
        assertThat(p.progress().requestsInFlight()).isEqualTo(6);
        assertThat(p.progress().peersActive()).isEqualTo(2);
    }

    @Test
    void pipelineDepthFollowsThePeersMeasuredRate() {
        assertThat(PiecePicker.pipelineDepthFor(0, 8)).isEqualTo(PiecePicker.MIN_PIPELINE_DEPTH);
        assertThat(PiecePicker.pipelineDepthFor(100 * 1024, 8)).isEqualTo(2); // 300 KiB in 3 s
        assertThat(PiecePicker.pipelineDepthFor(1024 * 1024, 64)).isEqualTo(12); // 3 MiB in 3 s
        assertThat(PiecePicker.pipelineDepthFor(100_000_000, 8)).isEqualTo(8);
        assertThat(PiecePicker.pipelineDepthFor(0, 1)).isEqualTo(1);

        PiecePicker p = picker(50, Config.DEFAULT, new PeerPenalties(), 17);
        p.addPeer(A, Bitfield.full(50));
        p.setPipelineDepth(A, 3);
        assertThat(p.pickUpTo(A, 64)).hasSize(3);
        p.setPipelineDepth(A, 5);
        assertThat(p.pickUpTo(A, 64)).hasSize(2);
    }

    @Test
    void endgameRequestsInFlightPiecesFromOtherPeersAndTheFirstCopyWins() {
        PiecePicker p = picker(4, new Config(2, 3), new PeerPenalties(), 4);
        p.addPeer(A, Bitfield.full(4));
        p.addPeer(B, Bitfield.full(4));
        int[] fromA = p.pickUpTo(A, 64);
        assertThat(p.isEndgame()).isFalse();
        int[] fromB = p.pickUpTo(B, 64);
        assertThat(p.isEndgame()).isTrue(); // every missing piece is in flight
        assertThat(p.pickNext(A)).isEmpty(); // A's pipeline is full

        p.onPieceVerified(A, fromA[0]);
        OptionalInt dup = p.pickNext(A);
        assertThat(dup).isPresent();
        assertThat(fromB).contains(dup.getAsInt()); // a duplicate of B's in-flight piece
        assertThat(p.progress().endgame()).isTrue();

        List<NodeId> cancel = p.onPieceVerified(B, dup.getAsInt());
        assertThat(cancel).containsExactly(A);
        assertThat(p.inFlight(A)).isEqualTo(1);
        // A late copy from A is harmless.
        assertThat(p.onPieceVerified(A, dup.getAsInt())).isEmpty();
        assertThat(p.progress().piecesDone()).isEqualTo(2);
    }

    @Test
    void endgameCapsCopiesPerPiece() {
        PiecePicker p = picker(1, new Config(8, 2), new PeerPenalties(), 5);
        for (int n = 1; n <= 4; n++) {
            p.addPeer(peer(n), Bitfield.full(1));
        }
        assertThat(p.pickNext(peer(1))).hasValue(0);
        assertThat(p.pickNext(peer(2))).hasValue(0);
        assertThat(p.pickNext(peer(3))).isEmpty();
        assertThat(p.onPieceVerified(peer(2), 0)).containsExactly(peer(1));
        assertThat(p.isComplete()).isTrue();
        assertThat(p.isEndgame()).isFalse();
    }

    @Test
    void badHashIsRetriedAtAnotherPeerFirst() {
        PiecePicker p = picker(1, Config.DEFAULT, new PeerPenalties(), 6);
        p.addPeer(A, Bitfield.full(1));
        p.addPeer(B, Bitfield.full(1));
        assertThat(p.pickNext(A)).hasValue(0);
        assertThat(p.onPieceFailed(A, 0, FailureReason.BAD_HASH)).isFalse();
        assertThat(p.pickNext(A)).isEmpty(); // B has it: ask B, not the peer that just failed
        assertThat(p.pickNext(B)).hasValue(0);
        p.onPieceVerified(B, 0);
        assertThat(p.isComplete()).isTrue();
        assertThat(p.progress().piecesRejected()).isEqualTo(1);
    }

    @Test
    void failedPieceGoesBackToTheSamePeerWhenNoOtherPeerCanServeIt() {
        PiecePicker p = picker(1, Config.DEFAULT, new PeerPenalties(), 7);
        p.addPeer(A, Bitfield.full(1));
        p.addPeer(B, Bitfield.full(1));
        p.setPeerChoking(B, true);
        assertThat(p.pickNext(A)).hasValue(0);
        p.onPieceFailed(A, 0, FailureReason.TIMEOUT);
        assertThat(p.pickNext(A)).hasValue(0); // B chokes us, so A is the only source
        assertThat(p.consecutiveFailures(A)).isEqualTo(1);
    }

    @Test
    void failedPiecesJumpAheadOfRarerPiecesAtOtherPeers() {
        PiecePicker p = picker(10, Config.DEFAULT, new PeerPenalties(), 8);
        p.addPeer(A, Bitfield.full(10));
        p.addPeer(B, Bitfield.full(10));
        p.addPeer(C, range(10, 0, 5)); // 0..4 are more common than 5..9
        assertThat(p.pickNext(A).getAsInt()).isGreaterThanOrEqualTo(5);
        int common = 2;
        p.onHave(A, common);
        OptionalInt forC = p.pickNext(C);
        p.onPieceFailed(C, forC.getAsInt(), FailureReason.ERROR);
        assertThat(p.pickNext(B)).hasValue(forC.getAsInt());
    }

    @Test
    void peerIsBannedAfterRepeatedBadDataAndItsRequestsAreReleased() {
        PeerPenalties penalties = new PeerPenalties();
        PiecePicker p = picker(10, Config.DEFAULT, penalties, 9);
        p.addPeer(A, Bitfield.full(10));
        p.addPeer(B, Bitfield.full(10));
        int[] fromA = p.pickUpTo(A, 3);
        assertThat(p.onPieceFailed(A, fromA[0], FailureReason.BAD_HASH)).isFalse();
        assertThat(p.isBanned(A)).isFalse();
        assertThat(p.onPieceFailed(A, fromA[1], FailureReason.BAD_HASH)).isTrue();
        assertThat(p.isBanned(A)).isTrue();
        assertThat(penalties.badPieces(A)).isEqualTo(2);
        assertThat(p.pickNext(A)).isEmpty();
        assertThat(p.inFlight(A)).isZero(); // fromA[2] went back to the pool
        assertThat(p.availability(0)).isEqualTo(1); // only B counts now
        assertThat(p.pickUpTo(B, 64)).contains(fromA[0], fromA[1], fromA[2]);

        // The ban is node-wide: another download ignores A too.
        PiecePicker other = picker(3, Config.DEFAULT, penalties, 10);
        other.addPeer(A, Bitfield.full(3));
        assertThat(other.pickNext(A)).isEmpty();
        assertThat(other.piecesUnavailable()).isEqualTo(3);
    }

    @Test
    void notHeldAnswerRemovesThePieceFromThePeersBitfield() {
        PiecePicker p = picker(2, Config.DEFAULT, new PeerPenalties(), 11);
        p.addPeer(A, Bitfield.full(2));
        int i = p.pickNext(A).getAsInt();
        p.onPieceFailed(A, i, FailureReason.NOT_HELD);
        assertThat(p.availability(i)).isZero();
        assertThat(p.pickNext(A)).hasValue(1 - i);
        assertThat(p.piecesUnavailable()).isEqualTo(1);
    }

    @Test
    void chokedPeerGetsNoRequestsUntilItUnchokes() {
        PiecePicker p = picker(4, Config.DEFAULT, new PeerPenalties(), 12);
        p.addPeer(A, Bitfield.full(4));
        int i = p.pickNext(A).getAsInt();
        p.onPieceFailed(A, i, FailureReason.CHOKED);
        assertThat(p.pickNext(A)).isEmpty();
        p.setPeerChoking(A, false);
        assertThat(p.pickNext(A)).hasValue(i); // no penalty, and the bounced piece goes first
        assertThat(p.consecutiveFailures(A)).isZero();
    }

    @Test
    void removedPeerReturnsItsRequestsToThePool() {
        PiecePicker p = picker(4, new Config(4, 3), new PeerPenalties(), 13);
        p.addPeer(A, Bitfield.full(4));
        p.addPeer(B, Bitfield.full(4));
        assertThat(p.pickUpTo(A, 64)).hasSize(4);
        p.removePeer(A);
        assertThat(p.progress().piecesInFlight()).isZero();
        assertThat(p.pickUpTo(B, 64)).hasSize(4);
        assertThat(p.availability(0)).isEqualTo(1);
    }

    @Test
    void resumedDownloadNeverRequestsHeldPieces() {
        Bitfield held = range(8, 0, 6);
        PiecePicker p = new PiecePicker(8, held, new SplittableRandom(14));
        p.addPeer(A, Bitfield.full(8));
        assertThat(p.pickUpTo(A, 64)).containsExactlyInAnyOrder(6, 7);
        assertThat(p.progress().piecesDone()).isEqualTo(6);
        p.onPieceVerified(A, 6);
        p.onPieceVerified(A, 7);
        assertThat(p.isComplete()).isTrue();
        assertThat(p.held().isComplete()).isTrue();
    }

    @Test
    void rangeDownloadIsCompleteWhenTheWantedPiecesAreHeld() {
        PiecePicker p = new PiecePicker(10, new Bitfield(10), range(10, 3, 5), Config.DEFAULT, new PeerPenalties(),
                new SplittableRandom(15));
        p.addPeer(A, Bitfield.full(10));
        assertThat(p.pickUpTo(A, 64)).containsExactlyInAnyOrder(3, 4);
        p.onPieceVerified(A, 3);
        assertThat(p.isComplete()).isFalse();
        p.onPieceVerified(A, 4);
        assertThat(p.isComplete()).isTrue();
        assertThat(p.progress().piecesWanted()).isEqualTo(2);
    }

    @Test
    void emptyContentIsCompleteAtOnce() {
        PiecePicker p = new PiecePicker(0, new Bitfield(0), new SplittableRandom(16));
        p.addPeer(A, new Bitfield(0));
        assertThat(p.isComplete()).isTrue();
        assertThat(p.pickNext(A)).isEmpty();
    }

    @Test
    void randomDownloadsWithFailuresAlwaysCompleteWithinTheInvariants() {
        Seeded.forEachSeed(60, 1000, random -> {
            int pieces = random.nextInt(1, 120);
            int peerCount = random.nextInt(1, 6);
            Config config = new Config(random.nextInt(1, 9), random.nextInt(1, 4));
            PiecePicker p = new PiecePicker(pieces, new Bitfield(pieces), null, config,
                    new PeerPenalties(1_000_000), new SplittableRandom(random.nextLong()));
            List<NodeId> peers = new ArrayList<>();
            for (int n = 0; n < peerCount; n++) {
                peers.add(peer(n + 1));
                // Every piece is with at least the first peer; the others have random subsets.
                Bitfield has = n == 0 ? Bitfield.full(pieces) : new Bitfield(pieces);
                for (int i = 0; n > 0 && i < pieces; i++) {
                    if (random.nextBoolean()) {
                        has.set(i);
                    }
                }
                p.addPeer(peers.get(n), has);
            }
            Set<Integer> verified = new HashSet<>();
            for (int step = 0; step < 100_000 && !p.isComplete(); step++) {
                NodeId who = peers.get(random.nextInt(peerCount));
                p.pickUpTo(who, 64);
                assertThat(p.inFlight(who)).isLessThanOrEqualTo(config.pipelineDepth());
                int[] out = p.requestedFrom(who);
                if (out.length == 0) {
                    continue;
                }
                int i = out[random.nextInt(out.length)];
                assertThat(verified).doesNotContain(i);
                if (random.nextInt(4) == 0) {
                    FailureReason r = FailureReason.values()[random.nextInt(3)]; // timeout, error, bad hash
                    p.onPieceFailed(who, i, r);
                } else {
                    p.onPieceVerified(who, i);
                    verified.add(i);
                }
            }
            assertThat(p.isComplete()).isTrue();
            assertThat(verified).hasSize(pieces);
            assertThat(p.progress().requestsInFlight()).isZero();
        });
    }
}
