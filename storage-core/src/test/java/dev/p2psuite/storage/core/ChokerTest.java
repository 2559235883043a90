package dev.p2psuite.storage.core;

import static dev.p2psuite.storage.core.PiecePickerTest.peer;
import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.identity.NodeId;
import dev.p2psuite.storage.core.Choker.ChokeState;
import dev.p2psuite.storage.core.Choker.Config;
import dev.p2psuite.storage.core.Choker.RequestDecision;
import dev.p2psuite.storage.core.Choker.SeedingPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ChokerTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private static Choker leecher(long seed) {
        Choker c = new Choker(Config.DEFAULT, new SplittableRandom(seed), null);
        c.setSeeding(false);
        return c;
    }

    /** Plain BEP 3: no spare slots on credit. */
    private static Choker strictLeecher(long seed) {
        Choker c = new Choker(Config.DEFAULT.withFreeRiderCreditBytes(0), new SplittableRandom(seed), null);
        c.setSeeding(false);
        return c;
    }

    private static List<NodeId> peers(int from, int count) {
        List<NodeId> out = new ArrayList<>();
        for (int n = from; n < from + count; n++) {
            out.add(peer(n));
        }
        return out;
    }

    @Test
    void fourBestContributorsGetTheRegularSlots() {
        Choker c = leecher(1);
        List<NodeId> ps = peers(1, 7);
        for (int i = 0; i < ps.size(); i++) {
            c.onInterested(ps.get(i), T0);
            c.recordReceived(ps.get(i), (i + 1) * 100_000L, T0); // peer 7 contributed most
        }
        c.tick(T0.plusSeconds(1));
        Set<NodeId> regular = new HashSet<>();
        for (NodeId p : c.unchoked()) {
            if (!c.isOptimistic(p)) {
                regular.add(p);
            }
        }
        assertThat(regular).containsExactlyInAnyOrder(ps.get(3), ps.get(4), ps.get(5), ps.get(6));
        assertThat(c.unchoked()).hasSize(5); // plus one optimistic among the other three
        assertThat(ps.subList(0, 3)).anyMatch(c::isOptimistic);
    }

    @Test
    void uninterestedPeersAreNotUnchokedHoweverMuchTheyGave() {
        Choker c = leecher(2);
        NodeId giver = peer(1);
        c.recordReceived(giver, 10_000_000, T0);
        NodeId taker = peer(2);
        c.onInterested(taker, T0);
        c.recordReceived(taker, 1, T0);
        c.tick(T0);
        assertThat(c.isUnchoked(giver)).isFalse();
        assertThat(c.isUnchoked(taker)).isTrue();
    }

    @Test
    void freeRiderStaysChokedExceptThroughTheOptimisticSlot() {
        Choker c = leecher(3);
        List<NodeId> contributors = peers(1, 6);
        NodeId freeRider = peer(100);
        contributors.forEach(p -> c.onInterested(p, T0));
        c.onInterested(freeRider, T0);
        int optimisticTicks = 0;
        for (int s = 0; s < 600; s++) {
            Instant now = T0.plusSeconds(s);
            for (NodeId p : contributors) {
                c.recordReceived(p, 50_000, now);
            }
            c.tick(now);
            for (NodeId p : c.unchoked()) {
                c.recordSent(p, 50_000, now); // we upload to whoever we unchoke
            }
            if (c.isUnchoked(freeRider)) {
                assertThat(c.isOptimistic(freeRider)).as("free rider unchoked at %ss", s).isTrue();
                optimisticTicks++;
            }
        }
        assertThat(optimisticTicks).as("the optimistic slot reaches the free rider now and then").isPositive();
        assertThat(optimisticTicks).isLessThan(600 / 2);
    }

    @Test
    void optimisticUnchokeRotatesEveryThirtySeconds() {
        Choker c = strictLeecher(4);
        List<NodeId> ps = peers(1, 8);
        ps.forEach(p -> c.onInterested(p, T0));
        List<NodeId> holders = new ArrayList<>();
        List<Integer> changedAt = new ArrayList<>();
        NodeId last = null;
        for (int s = 0; s <= 300; s++) {
            c.tick(T0.plusSeconds(s));
            NodeId now = ps.stream().filter(c::isOptimistic).findFirst().orElseThrow();
            if (!now.equals(last)) {
                changedAt.add(s);
                holders.add(now);
                last = now;
            }
        }
        assertThat(changedAt).containsExactly(0, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300);
        for (int i = 1; i < holders.size(); i++) {
            assertThat(holders.get(i)).isNotEqualTo(holders.get(i - 1));
        }
    }

    @Test
    void newPeersAreThreeTimesAsLikelyToGetTheOptimisticSlot() {
        // 3 peers seen 2 minutes ago, 3 peers seen just now: weights 1 and 3, so a new peer wins 9/12 of draws.
        int runs = 3000;
        int newWins = 0;
        for (int seed = 0; seed < runs; seed++) {
            Choker c = strictLeecher(seed);
            for (NodeId p : peers(1, 3)) {
                c.onInterested(p, T0.minus(Duration.ofMinutes(2)));
            }
            for (NodeId p : peers(10, 3)) {
                c.onInterested(p, T0);
            }
            c.tick(T0);
            for (NodeId p : peers(10, 3)) {
                if (c.isOptimistic(p)) {
                    newWins++;
                }
            }
        }
        double share = newWins / (double) runs;
        System.out.printf("optimistic unchoke: new peers won %.3f of draws (expected 0.75)%n", share);
        assertThat(share).isBetween(0.72, 0.78);
    }

    @Test
    void contributionOlderThanTheRateWindowNoLongerCounts() {
        Choker c = leecher(5);
        List<NodeId> ps = peers(1, 6);
        ps.forEach(p -> c.onInterested(p, T0));
        NodeId early = ps.get(0);
        c.recordReceived(early, 100_000_000, T0); // a big contribution, then nothing
        for (int s = 0; s <= 60; s++) {
            Instant now = T0.plusSeconds(s);
            for (NodeId p : ps.subList(1, 6)) {
                c.recordReceived(p, 10_000 * (p.bytes()[0]), now);
            }
            c.tick(now);
        }
        // After 20 s the early peer's rate is 0; the four steady contributors with the best rates win.
        assertThat(c.isUnchoked(early) && !c.isOptimistic(early)).isFalse();
        for (NodeId p : ps.subList(2, 6)) {
            assertThat(c.isUnchoked(p)).isTrue();
        }
    }

    @Test
    void chokedRequestIsToldToRetryAtTheNextRechoke() {
        Choker c = leecher(6);
        NodeId p = peer(1);
        c.tick(T0);
        RequestDecision d = c.onRequest(p, T0.plusSeconds(3));
        assertThat(d.serve()).isFalse();
        assertThat(d.retryAfterMillis()).isEqualTo(7_000);
        assertThat(c.retryAfterMillis(T0.plusMillis(9_999))).isEqualTo(1);
        assertThat(c.retryAfterMillis(T0.plusSeconds(60))).isEqualTo(1);
        assertThat(new Choker(new SplittableRandom(1)).retryAfterMillis(T0)).isEqualTo(10_000);
    }

    @Test
    void unchokedPeerIsServed() {
        Choker c = leecher(7);
        NodeId p = peer(1);
        c.onInterested(p, T0);
        c.recordReceived(p, 1000, T0);
        List<ChokeState> changes = c.tick(T0);
        assertThat(changes).contains(new ChokeState(p, false, false));
        assertThat(c.onRequest(p, T0)).isEqualTo(RequestDecision.SERVE);
    }

    @Test
    void seedingRoundRobinGivesEveryInterestedPeerTurns() {
        Choker c = new Choker(Config.DEFAULT, new SplittableRandom(8), null);
        List<NodeId> ps = peers(1, 12);
        c.tick(T0);
        ps.forEach(p -> c.onInterested(p, T0));
        Map<NodeId, Integer> regularTurns = new HashMap<>();
        for (int s = 10; s <= 120; s += 10) {
            c.tick(T0.plusSeconds(s));
            int regular = 0;
            for (NodeId p : c.unchoked()) {
                if (!c.isOptimistic(p)) {
                    regularTurns.merge(p, 1, Integer::sum);
                    regular++;
                }
            }
            assertThat(regular).isLessThanOrEqualTo(Choker.UNCHOKE_SLOTS);
        }
        // 12 rechokes x 4 slots over 12 peers: everyone gets 4 turns (the first 4 got a slot on interest).
        assertThat(regularTurns).hasSize(12);
        assertThat(regularTurns.values()).allMatch(n -> n >= 3 && n <= 5);
    }

    @Test
    void seedingRoundRobinSharesBytesEvenlySoAGreedyPeerWaits() {
        Choker c = new Choker(Config.DEFAULT.withFreeRiderCreditBytes(0), new SplittableRandom(8), null);
        List<NodeId> ps = peers(1, 6);
        c.tick(T0);
        ps.forEach(p -> c.onInterested(p, T0));
        NodeId greedy = ps.get(0);
        int greedyTurns = 0;
        for (int s = 10; s <= 120; s += 10) {
            Instant now = T0.plusSeconds(s);
            // Whoever is unchoked takes pieces; the greedy peer (no other source) takes ten times as much.
            for (NodeId p : c.unchoked()) {
                c.recordSent(p, p.equals(greedy) ? 10 * Manifest.PIECE_SIZE : Manifest.PIECE_SIZE, now);
            }
            c.tick(now);
            if (c.isUnchoked(greedy)) {
                greedyTurns++;
            }
        }
        // 12 rechokes x 5 unchoked (4 regular, 1 optimistic) over 6 peers is 10 turns each by turns; by bytes the
        // greedy peer, taking ten times as much per turn, gets far fewer.
        System.out.println("round robin by bytes: the greedy peer was unchoked at " + greedyTurns + " of 12 rechokes");
        assertThat(greedyTurns).isLessThanOrEqualTo(5);
    }

    @Test
    void seedingFastestUploadKeepsThePeersThatTakeDataFastest() {
        Choker c = new Choker(Config.DEFAULT.withSeedingPolicy(SeedingPolicy.FASTEST_UPLOAD),
                new SplittableRandom(9), null);
        List<NodeId> ps = peers(1, 8);
        ps.forEach(p -> c.onInterested(p, T0));
        for (int s = 0; s <= 40; s++) {
            for (int i = 0; i < ps.size(); i++) {
                c.recordSent(ps.get(i), i * 100_000L, T0.plusSeconds(s));
            }
            c.tick(T0.plusSeconds(s));
        }
        for (NodeId p : ps.subList(4, 8)) {
            assertThat(c.isUnchoked(p) && !c.isOptimistic(p)).isTrue();
        }
    }

    @Test
    void newlyInterestedPeerTakesAFreeSlotAtOnceWhenSeeding() {
        Choker c = new Choker(new SplittableRandom(10));
        c.tick(T0);
        assertThat(c.onInterested(peer(1), T0.plusSeconds(1))).containsExactly(new ChokeState(peer(1), false, false));
        assertThat(c.state(peer(1)).choked()).isFalse();
        assertThat(c.onRequest(peer(1), T0.plusSeconds(1)).serve()).isTrue();
    }

    @Test
    void strictLeecherGivesNoRegularSlotToAPeerThatNeverUploaded() {
        Choker c = strictLeecher(11);
        c.tick(T0);
        c.onInterested(peer(1), T0.plusSeconds(1));
        assertThat(c.state(peer(1))).as("only the empty optimistic slot").isEqualTo(new ChokeState(peer(1), false, true));
        c.recordReceived(peer(2), 5000, T0.plusSeconds(1));
        assertThat(c.onInterested(peer(2), T0.plusSeconds(1))).containsExactly(new ChokeState(peer(2), false, false));
    }

    @Test
    void spareSlotsAreLentOnCreditUntilTheCreditIsUsedUp() {
        Choker c = leecher(14);
        NodeId contributor = peer(1);
        NodeId newcomer = peer(2);
        NodeId taker = peer(3);
        c.recordReceived(contributor, 100_000, T0);
        for (NodeId p : List.of(contributor, newcomer, taker)) {
            c.onInterested(p, T0);
        }
        c.tick(T0);
        // Three interested peers, four slots: nobody needs the optimistic slot to get in.
        assertThat(c.unchoked()).containsExactlyInAnyOrder(contributor, newcomer, taker);
        c.recordSent(taker, Choker.FREE_RIDER_CREDIT_BYTES, T0.plusSeconds(5));
        c.recordSent(newcomer, Choker.FREE_RIDER_CREDIT_BYTES, T0.plusSeconds(5));
        c.recordReceived(newcomer, 20_000, T0.plusSeconds(6)); // the newcomer reciprocates, the taker does not
        c.tick(T0.plusSeconds(10));
        assertThat(c.isUnchoked(newcomer) && !c.isOptimistic(newcomer)).isTrue();
        assertThat(c.isUnchoked(taker) && !c.isOptimistic(taker)).as("credit used up: no regular slot").isFalse();
    }

    @Test
    void knownFreeRiderGetsTheOptimisticSlotOnlyWhenNobodyElseWantsIt() {
        Choker c = leecher(15);
        List<NodeId> contributors = peers(1, 4);
        NodeId other = peer(50);
        NodeId freeRider = peer(100);
        contributors.forEach(p -> c.onInterested(p, T0));
        c.onInterested(other, T0);
        c.onInterested(freeRider, T0);
        c.recordSent(freeRider, Choker.FREE_RIDER_CREDIT_BYTES, T0);
        for (int s = 0; s < 300; s++) {
            Instant now = T0.plusSeconds(s);
            contributors.forEach(p -> c.recordReceived(p, 50_000, now));
            c.tick(now);
            assertThat(c.isUnchoked(freeRider)).as("at %ss", s).isFalse();
        }
        assertThat(c.isOptimistic(other)).isTrue();
        c.onNotInterested(other, T0.plusSeconds(300));
        c.tick(T0.plusSeconds(300));
        assertThat(c.isOptimistic(freeRider)).isTrue();
    }

    @Test
    void optimisticHolderThatTakesItsCreditAndGivesNothingLosesTheSlotAtTheNextRechoke() {
        Choker c = leecher(16);
        List<NodeId> contributors = peers(1, 4);
        NodeId other = peer(50);
        NodeId freeRider = peer(100);
        contributors.forEach(p -> c.onInterested(p, T0));
        c.onInterested(freeRider, T0);
        contributors.forEach(p -> c.recordReceived(p, 50_000, T0));
        c.tick(T0);
        assertThat(c.isOptimistic(freeRider)).as("the only peer left for the optimistic slot").isTrue();
        c.onInterested(other, T0.plusSeconds(1));
        c.recordSent(freeRider, Choker.FREE_RIDER_CREDIT_BYTES, T0.plusSeconds(2)); // took its credit, gave nothing
        c.tick(T0.plusSeconds(10)); // the next rechoke, well before the 30 s rotation
        assertThat(c.isUnchoked(freeRider)).isFalse();
        assertThat(c.isOptimistic(other)).isTrue();
    }

    @Test
    void spareUploadOnlyKnownFreeRidersWantIsSharedByBytesSoTheGreedyOneWaits() {
        Choker c = leecher(26);
        List<NodeId> contributors = peers(1, 4);
        NodeId greedy = peer(100);
        NodeId other = peer(101);
        contributors.forEach(p -> c.onInterested(p, T0));
        c.onInterested(greedy, T0);
        c.onInterested(other, T0);
        c.recordSent(greedy, Choker.FREE_RIDER_CREDIT_BYTES, T0);
        c.recordSent(other, Choker.FREE_RIDER_CREDIT_BYTES, T0);
        int greedyTurns = 0;
        for (int s = 0; s < 120; s += 10) {
            Instant now = T0.plusSeconds(s);
            contributors.forEach(p -> c.recordReceived(p, 50_000, now));
            for (NodeId p : c.unchoked()) { // the greedy one takes ten times as much in its turn
                c.recordSent(p, p.equals(greedy) ? 10 * Manifest.PIECE_SIZE : Manifest.PIECE_SIZE, now);
            }
            c.tick(now);
            if (c.isOptimistic(greedy)) {
                greedyTurns++;
            }
        }
        // By turns it would get 6 of 12; by bytes over the 20 s rate window it waits two rechokes after each turn.
        assertThat(greedyTurns).as("turns of the greedy free rider out of 12").isLessThanOrEqualTo(4);
    }

    @Test
    void peerOnCreditIsRefusedOnceItsCreditIsSpentWhileAContributorWaits() {
        Choker c = leecher(17);
        NodeId contributor = peer(1);
        NodeId waiting = peer(2);
        NodeId freeRider = peer(100);
        c.onInterested(freeRider, T0);
        c.tick(T0);
        assertThat(c.isUnchoked(freeRider)).as("a spare slot, on credit").isTrue();
        c.onInterested(contributor, T0);
        c.recordReceived(contributor, 50_000, T0);
        c.recordSent(freeRider, Choker.FREE_RIDER_CREDIT_BYTES, T0.plusSeconds(1));
        assertThat(c.onRequest(freeRider, T0.plusSeconds(1)).serve()).as("nobody else waits").isTrue();
        for (int i = 3; i <= 7; i++) { // everyone else interested and choked would wait
            c.onInterested(peer(i), T0);
            c.recordReceived(peer(i), 10_000, T0);
        }
        c.onInterested(waiting, T0);
        c.recordReceived(waiting, 10_000, T0);
        assertThat(c.onRequest(freeRider, T0.plusSeconds(2)).serve()).isFalse();
        c.rechoke(T0.plusSeconds(2));
        assertThat(c.isUnchoked(freeRider)).isFalse();
    }

    private static final ContentId CONTENT = ContentId.ofSha256(new byte[ContentId.SHA2_256_DIGEST_BYTES]);
    private static final int PIECES = 64;

    /** The seed sends each peer its credit (4 pieces) of its own pieces; pieces 4k..4k+3 go to peer k's index. */
    private static void sendCredit(Choker seed, List<NodeId> to, Instant now) {
        for (int k = 0; k < to.size(); k++) {
            for (int i = 4 * k; i < 4 * k + 4; i++) {
                seed.recordSent(to.get(k), CONTENT, PIECES, i, Manifest.PIECE_SIZE, now);
            }
        }
    }

    /** What {@code reporter} holds: piece {@code index} of every peer in {@code from}'s share. */
    private static Bitfield holding(List<NodeId> all, List<NodeId> from) {
        Bitfield b = new Bitfield(PIECES);
        for (NodeId p : from) {
            b.set(4 * all.indexOf(p));
        }
        return b;
    }

    @Test
    void seedSeesItsPiecesPassedOnAndGivesAFreeRiderOnlyTheOptimisticSlotNobodyElseWants() {
        Choker seed = new Choker(Config.DEFAULT, new SplittableRandom(21), null);
        List<NodeId> contributors = peers(1, 6);
        NodeId freeRider = peer(100);
        List<NodeId> all = new ArrayList<>(contributors);
        all.add(freeRider);
        seed.tick(T0);
        all.forEach(p -> seed.onInterested(p, T0));
        sendCredit(seed, all, T0);
        // Each contributor passed one of its pieces on (its neighbour reports it, with a request); nobody reports one
        // of the free rider's, although the free rider reports what it got from the others.
        for (int k = 0; k < contributors.size(); k++) {
            NodeId next = contributors.get((k + 1) % contributors.size());
            seed.onPeerHave(next, CONTENT, holding(all, List.of(contributors.get(k))), T0.plusSeconds(1));
        }
        seed.onPeerHave(freeRider, CONTENT, holding(all, contributors), T0.plusSeconds(1));
        for (int s = 10; s <= 120; s += 10) {
            Instant now = T0.plusSeconds(s);
            seed.tick(now);
            assertThat(seed.isUnchoked(freeRider)).as("at %s s", s).isFalse();
            assertThat(seed.onRequest(freeRider, now).serve()).isFalse();
            for (NodeId p : seed.unchoked()) {
                seed.recordSent(p, Manifest.PIECE_SIZE, now);
            }
        }
        contributors.forEach(p -> seed.onNotInterested(p, T0.plusSeconds(121)));
        seed.tick(T0.plusSeconds(130));
        assertThat(seed.isOptimistic(freeRider)).as("nobody else wants the upload: it is not wasted").isTrue();
    }

    @Test
    void seedThatSeesNoPiecePassedOnKeepsSharingWithEveryPeer() {
        Choker seed = new Choker(Config.DEFAULT, new SplittableRandom(22), null);
        List<NodeId> all = peers(1, 7);
        seed.tick(T0);
        all.forEach(p -> seed.onInterested(p, T0));
        sendCredit(seed, all, T0);
        Set<NodeId> served = new HashSet<>();
        for (int s = 10; s <= 60; s += 10) {
            seed.tick(T0.plusSeconds(s));
            served.addAll(seed.unchoked());
        }
        assertThat(served).as("no evidence either way: round robin as before").containsExactlyInAnyOrderElementsOf(all);
    }

    @Test
    void seedGivesAPeerARechokePeriodToPassOnWhatItGotBeforeCountingItAFreeRider() {
        Choker seed = new Choker(Config.DEFAULT, new SplittableRandom(23), null);
        List<NodeId> all = peers(1, 7);
        NodeId late = all.get(6);
        seed.tick(T0);
        all.forEach(p -> seed.onInterested(p, T0));
        sendCredit(seed, all.subList(0, 6), T0);
        for (int k = 0; k < 6; k++) { // the others pass pieces on
            seed.onPeerHave(all.get((k + 1) % 6), CONTENT, holding(all, List.of(all.get(k))), T0);
        }
        for (int i = 24; i < 28; i++) {
            seed.recordSent(late, CONTENT, PIECES, i, Manifest.PIECE_SIZE, T0.plusSeconds(5));
        }
        seed.rechoke(T0.plusSeconds(14));
        assertThat(seed.creditSpentWhileOthersWait(late, T0.plusSeconds(14))).isFalse();
        Set<NodeId> unchokedLater = new HashSet<>();
        for (int s = 15; s <= 60; s += 5) {
            seed.rechoke(T0.plusSeconds(s));
            unchokedLater.addAll(seed.unchoked());
        }
        assertThat(unchokedLater).as("its credit ran out 10 s ago and none of its pieces was seen elsewhere")
                .doesNotContain(late);
        seed.onPeerHave(all.get(0), CONTENT, holding(all, List.of(late)), T0.plusSeconds(61)); // now it passed one on
        Set<NodeId> unchokedAfter = new HashSet<>();
        for (int s = 70; s <= 130; s += 10) {
            seed.tick(T0.plusSeconds(s));
            unchokedAfter.addAll(seed.unchoked());
        }
        assertThat(unchokedAfter).contains(late);
    }

    @Test
    void nodeThatFinishedKeepsFavouringThePeersThatGaveToItWhileItDownloaded() {
        Choker c = leecher(24);
        List<NodeId> contributors = peers(1, 6);
        NodeId freeRider = peer(100);
        contributors.forEach(p -> c.recordReceived(p, 4L * Manifest.PIECE_SIZE, T0));
        c.recordSent(freeRider, Choker.FREE_RIDER_CREDIT_BYTES, T0);
        c.setSeeding(true); // download complete: it only seeds now
        contributors.forEach(p -> c.onInterested(p, T0.plusSeconds(1)));
        c.onInterested(freeRider, T0.plusSeconds(1));
        for (int s = 10; s <= 120; s += 10) {
            Instant now = T0.plusSeconds(s);
            c.tick(now);
            assertThat(c.isUnchoked(freeRider)).as("at %s s", s).isFalse();
            for (NodeId p : c.unchoked()) {
                c.recordSent(p, Manifest.PIECE_SIZE, now);
            }
        }
    }

    @Test
    void pieceSpreadCreditsOnlyASoleRecipientAndEachPieceOnce() {
        PieceSpread spread = new PieceSpread();
        NodeId a = peer(1);
        NodeId b = peer(2);
        NodeId c = peer(3);
        spread.onSent(a, CONTENT, PIECES, 0, T0, Duration.ofSeconds(10));
        spread.onSent(a, CONTENT, PIECES, 1, T0, Duration.ofSeconds(10));
        spread.onSent(b, CONTENT, PIECES, 1, T0, Duration.ofSeconds(10)); // sent to two peers: proves nothing
        Bitfield both = new Bitfield(PIECES);
        both.set(0);
        both.set(1);
        assertThat(spread.onHave(a, CONTENT, both)).as("its own report").isEmpty();
        assertThat(spread.onHave(c, CONTENT, both)).isEqualTo(Map.of(a, 1));
        assertThat(spread.onHave(b, CONTENT, both)).as("credited once").isEmpty();
        assertThat(spread.onHave(c, ContentId.ofSha256(new byte[32]), new Bitfield(3))).isEmpty();
    }

    @Test
    void peerKeepsToItselfOnlyAPieceSentToItAloneAndSeenNowhereElseAfterTheGrace() {
        PieceSpread spread = new PieceSpread();
        NodeId a = peer(1);
        NodeId b = peer(2);
        Duration grace = Duration.ofSeconds(10);
        spread.onSent(a, CONTENT, PIECES, 0, T0, Duration.ofSeconds(10));
        spread.onSent(b, CONTENT, PIECES, 0, T0, Duration.ofSeconds(10)); // a duplicate: says nothing about either
        spread.onSent(b, CONTENT, PIECES, 1, T0, Duration.ofSeconds(10));
        assertThat(spread.keptToItself(a, T0.plusSeconds(60), grace)).isFalse();
        assertThat(spread.keptToItself(b, T0.plusSeconds(9), grace)).as("within the grace").isFalse();
        assertThat(spread.keptToItself(b, T0.plusSeconds(10), grace)).isTrue();
        Bitfield passed = new Bitfield(PIECES);
        passed.set(1);
        spread.onHave(a, CONTENT, passed); // late: the verdict stands, but the credit counts in the Choker
        assertThat(spread.keptToItself(b, T0.plusSeconds(11), grace)).isTrue();
    }

    @Test
    void anotherPeerHavingToComeToUsForAPieceOneRecipientHeldForTheGraceIsEvidenceToo() {
        PieceSpread spread = new PieceSpread();
        NodeId keeper = peer(1);
        NodeId quick = peer(2);
        NodeId other = peer(3);
        Duration grace = Duration.ofSeconds(10);
        spread.onSent(keeper, CONTENT, PIECES, 0, T0, grace);
        spread.onSent(other, CONTENT, PIECES, 0, T0.plusSeconds(10), grace);
        spread.onSent(quick, CONTENT, PIECES, 1, T0, grace);
        spread.onSent(other, CONTENT, PIECES, 1, T0.plusSeconds(1), grace); // within the grace: proves nothing
        assertThat(spread.keptToItself(keeper, T0.plusSeconds(10), grace)).isTrue();
        assertThat(spread.keptToItself(quick, T0.plusSeconds(30), grace)).isFalse();
    }

    @Test
    void pieceTheNodeReceivedItselfIsNeverTakenAsPassedOn() {
        // A leecher's pieces are held by whoever sent them too: another peer holding one proves nothing.
        Choker c = leecher(25);
        NodeId source = peer(1);
        NodeId freeRider = peer(2);
        NodeId other = peer(3);
        c.recordReceived(source, CONTENT, PIECES, 0, Manifest.PIECE_SIZE, T0);
        c.recordSent(freeRider, CONTENT, PIECES, 0, Manifest.PIECE_SIZE, T0);
        Bitfield has = new Bitfield(PIECES);
        has.set(0);
        c.onPeerHave(other, CONTENT, has, T0);
        c.recordSent(freeRider, Choker.FREE_RIDER_CREDIT_BYTES, T0);
        c.onInterested(freeRider, T0);
        c.onInterested(other, T0);
        c.recordReceived(other, Manifest.PIECE_SIZE, T0);
        for (int i = 4; i <= 8; i++) {
            c.onInterested(peer(i), T0);
            c.recordReceived(peer(i), Manifest.PIECE_SIZE, T0);
        }
        c.tick(T0);
        assertThat(c.isUnchoked(freeRider)).isFalse();
    }

    @Test
    void slotOfAPeerThatLosesInterestIsReassignedAtOnce() {
        Choker c = strictLeecher(16);
        List<NodeId> ps = peers(1, 5);
        for (int i = 0; i < ps.size(); i++) {
            c.onInterested(ps.get(i), T0);
            c.recordReceived(ps.get(i), (i + 1) * 10_000L, T0);
        }
        c.tick(T0);
        NodeId waiting = ps.get(0); // the smallest contributor has no regular slot
        assertThat(c.isUnchoked(waiting) && !c.isOptimistic(waiting)).isFalse();
        NodeId leaving = ps.get(4);
        List<ChokeState> changes = c.onNotInterested(leaving, T0.plusSeconds(2));
        assertThat(changes).contains(new ChokeState(leaving, true, false));
        assertThat(c.isUnchoked(waiting)).isTrue();
    }

    @Test
    void bannedPeerIsNeverUnchoked() {
        PeerPenalties penalties = new PeerPenalties(1);
        Choker c = new Choker(Config.DEFAULT, new SplittableRandom(12), penalties);
        NodeId bad = peer(1);
        c.onInterested(bad, T0);
        c.tick(T0);
        assertThat(c.isUnchoked(bad)).isTrue();
        penalties.recordBadPiece(bad);
        assertThat(c.isUnchoked(bad)).isFalse();
        c.tick(T0.plusSeconds(10));
        assertThat(c.onRequest(bad, T0.plusSeconds(11)).serve()).isFalse();
    }

    @Test
    void statsCountBytesAndRatesPerPeer() {
        Choker c = leecher(13);
        NodeId p = peer(1);
        for (int s = 0; s < 20; s++) {
            c.recordReceived(p, 100_000, T0.plusSeconds(s));
            c.recordSent(p, 50_000, T0.plusSeconds(s));
        }
        Choker.PeerStats st = c.stats(p, T0.plusSeconds(19)).orElseThrow();
        assertThat(st.bytesReceived()).isEqualTo(2_000_000);
        assertThat(st.bytesSent()).isEqualTo(1_000_000);
        assertThat(st.downloadRate()).isEqualTo(100_000);
        assertThat(st.uploadRate()).isEqualTo(50_000);
        assertThat(st.amChoking()).isTrue();
        assertThat(c.stats(p, T0.plusSeconds(60)).orElseThrow().downloadRate()).isZero();
    }

    @Test
    void sameSeedGivesTheSameDecisions() {
        List<List<NodeId>> runs = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            Choker c = leecher(42);
            List<NodeId> trace = new ArrayList<>();
            peers(1, 10).forEach(p -> c.onInterested(p, T0));
            for (int s = 0; s < 200; s += 10) {
                c.tick(T0.plusSeconds(s));
                trace.addAll(c.unchoked());
            }
            runs.add(trace);
        }
        assertThat(runs.get(0)).isEqualTo(runs.get(1));
    }
}
