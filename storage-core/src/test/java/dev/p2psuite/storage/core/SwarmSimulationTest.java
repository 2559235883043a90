package dev.p2psuite.storage.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.identity.NodeId;
import dev.p2psuite.storage.core.PiecePicker.FailureReason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A deterministic, in-memory swarm of the real core classes (piece picker, choker, rate limiters) in simulated time:
 * one seeder under an upload limit, contributing leechers, and optionally one free rider that downloads like the others
 * but never serves a request. It models what the storage-service adapter does: a downloader holds WatchChoke open
 * ("interested") on every peer that has a piece it lacks, fills its pipeline (depth adapted to the measured rate) at
 * every peer that unchokes it (each request carrying its bitfield, so a seed sees its pieces passed on), and a choke
 * discards the requests queued at that peer (BEP 3). Bytes move in 16 KiB blocks per 100 ms tick; an uploader shares
 * its rate-limited bandwidth round-robin among the peers it serves, and a receiver takes no more than its download
 * limit. Piece contents are not simulated (verification is tested
 * elsewhere). Completed leechers stay and seed, as the product's downloaders become providers.
 */
class SwarmSimulationTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    private static final Duration TICK = Duration.ofMillis(100);
    private static final Duration MAX_TIME = Duration.ofMinutes(30);
    private static final int BLOCK = 16_384;
    private static final int PIECE = Manifest.PIECE_SIZE;
    private static final long KIB = 1024;
    private static final long SEED = 20250101;
    private static final int SWARM_RUNS = 3;
    private static final ContentId CONTENT = ContentId.ofSha256(new byte[ContentId.SHA2_256_DIGEST_BYTES]);

    /** The scenario: 100 MiB; 1 seeder at 1 MiB/s up; 16 contributors and the free rider on 512 KiB/s up, 1 MiB/s down. */
    private static final Swarm SWARM = new Swarm(16, 400, 1024 * KIB, 512 * KIB, 1024 * KIB);

    record Swarm(int contributors, int pieces, long seederUpload, long leecherUpload, long leecherDownload) {
    }

    record Outcome(List<Double> contributorSeconds, double freeRiderSeconds) {
        double contributorMean() {
            return contributorSeconds.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        }

        double contributorMax() {
            return contributorSeconds.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        }
    }

    private static final class Transfer {
        final int piece;
        long sent;

        Transfer(int piece) {
            this.piece = piece;
        }
    }

    private static final class Node {
        final String name;
        final NodeId id;
        final boolean freeRider;
        final Bitfield have;
        final PiecePicker picker;
        final Choker choker;
        final RateLimiter upload;
        final RateLimiter download;
        /** Requests queued at this node, per requesting node, served in order. */
        final Map<Node, Deque<Transfer>> queues = new LinkedHashMap<>();
        /** Peers this node holds a WatchChoke stream open on (BEP 3 "interested"). */
        final Set<Node> interestedIn = new HashSet<>();
        int turn;
        Instant finished;

        Node(String name, NodeId id, boolean seeder, boolean freeRider, Swarm swarm, long seed) {
            this.name = name;
            this.id = id;
            this.freeRider = freeRider;
            this.have = seeder ? Bitfield.full(swarm.pieces()) : new Bitfield(swarm.pieces());
            this.picker = new PiecePicker(swarm.pieces(), have, null, PiecePicker.Config.DEFAULT, new PeerPenalties(),
                    new SplittableRandom(seed));
            this.choker = new Choker(Choker.Config.DEFAULT, new SplittableRandom(seed + 1), null);
            this.choker.setSeeding(seeder);
            this.upload = RateLimiter.perSecond(seeder ? swarm.seederUpload() : swarm.leecherUpload(), T0);
            this.download = RateLimiter.perSecond(seeder ? RateLimiter.UNLIMITED : swarm.leecherDownload(), T0);
            this.finished = seeder ? T0 : null;
        }

        boolean downloading() {
            return finished == null;
        }
    }

    static Outcome run(Swarm swarm, boolean withFreeRider, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Node> nodes = new ArrayList<>();
        nodes.add(new Node("seeder", NodeId.random(random), true, false, swarm, random.nextLong()));
        for (int i = 0; i < swarm.contributors(); i++) {
            nodes.add(new Node("leecher" + i, NodeId.random(random), false, false, swarm, random.nextLong()));
        }
        Node freeRider = null;
        if (withFreeRider) {
            // Drawn last, so every other node's ID and seed are the same with and without it.
            freeRider = new Node("free-rider", NodeId.random(random), false, true, swarm, random.nextLong());
            nodes.add(freeRider);
        }
        Map<NodeId, Node> byId = new HashMap<>();
        for (Node n : nodes) {
            byId.put(n.id, n);
        }
        for (Node d : nodes) {
            for (Node u : nodes) {
                if (d != u) {
                    d.picker.addPeer(u.id, u.have);
                    d.picker.setPeerChoking(u.id, true); // BEP 3: connections start choked
                }
            }
        }

        for (Instant now = T0; now.isBefore(T0.plus(MAX_TIME)); now = now.plus(TICK)) {
            if (nodes.stream().noneMatch(Node::downloading)) {
                break;
            }
            // 1. Interest: WatchChoke is open on a peer while it has a piece the downloader lacks.
            for (Node d : nodes) {
                if (!d.downloading()) {
                    continue;
                }
                for (Node u : nodes) {
                    if (u == d) {
                        continue;
                    }
                    boolean wants = hasSomethingFor(u, d);
                    if (wants && d.interestedIn.add(u)) {
                        apply(u, u.choker.onInterested(d.id, now), byId);
                    } else if (!wants && d.interestedIn.remove(u)) {
                        apply(u, u.choker.onNotInterested(d.id, now), byId);
                    }
                }
            }
            // 2. Rechoke when due; changes are pushed over WatchChoke.
            for (Node u : nodes) {
                apply(u, u.choker.tick(now), byId);
            }
            // 3. Requests: fill the pipeline at every peer that unchokes us, depth adapted to its measured rate.
            for (Node d : nodes) {
                if (!d.downloading()) {
                    continue;
                }
                for (Node u : nodes) {
                    if (u == d || u.freeRider || !u.choker.isUnchoked(d.id)) {
                        continue;
                    }
                    long rate = d.choker.stats(u.id, now).map(Choker.PeerStats::downloadRate).orElse(0L);
                    d.picker.setPipelineDepth(u.id,
                            PiecePicker.pipelineDepthFor(rate, PiecePicker.DEFAULT_PIPELINE_DEPTH));
                    int[] picks = d.picker.pickUpTo(u.id, PiecePicker.MAX_PIPELINE_DEPTH);
                    if (picks.length == 0) {
                        continue;
                    }
                    u.choker.onPeerHave(d.id, CONTENT, d.have, now); // a request carries the requester's bitfield
                    if (!u.choker.onRequest(d.id, now).serve()) {
                        for (int i : picks) {
                            d.picker.onPieceFailed(u.id, i, FailureReason.CHOKED);
                        }
                        continue;
                    }
                    Deque<Transfer> q = u.queues.computeIfAbsent(d, k -> new ArrayDeque<>());
                    for (int i : picks) {
                        q.add(new Transfer(i));
                    }
                }
            }
            // 4. Uploads.
            for (Node u : nodes) {
                upload(u, nodes, byId, now);
            }
        }

        List<Double> times = new ArrayList<>();
        for (Node n : nodes.subList(1, 1 + swarm.contributors())) {
            assertThat(n.finished).as(n.name + " finished").isNotNull();
            times.add(seconds(n.finished));
        }
        double fr = freeRider == null ? Double.NaN
                : freeRider.finished == null ? MAX_TIME.toSeconds() : seconds(freeRider.finished);
        return new Outcome(times, fr);
    }

    private static double seconds(Instant t) {
        return Duration.between(T0, t).toMillis() / 1000.0;
    }

    private static void upload(Node u, List<Node> nodes, Map<NodeId, Node> byId, Instant now) {
        u.queues.values().removeIf(Deque::isEmpty);
        if (u.queues.isEmpty()) {
            return;
        }
        List<Node> active = new ArrayList<>(u.queues.keySet());
        Collections.rotate(active, -(u.turn++ % active.size())); // a different requester goes first each tick
        while (!active.isEmpty()) {
            for (Iterator<Node> it = active.iterator(); it.hasNext(); ) {
                Node d = it.next();
                Deque<Transfer> q = u.queues.get(d);
                if (q == null || q.isEmpty()) {
                    it.remove();
                    continue;
                }
                Transfer t = q.peek();
                long chunk = Math.min(BLOCK, PIECE - t.sent);
                if (!u.upload.delayFor(chunk, now).isZero()) {
                    return; // this tick's upload budget is spent
                }
                if (!d.download.tryAcquire(chunk, now)) {
                    it.remove(); // the receiver's download limit is reached for this tick
                    continue;
                }
                u.upload.tryAcquire(chunk, now);
                t.sent += chunk;
                if (t.sent == PIECE) {
                    q.poll();
                    deliver(u, d, t.piece, nodes, byId, now);
                }
            }
        }
    }

    private static void deliver(Node u, Node d, int piece, List<Node> nodes, Map<NodeId, Node> byId, Instant now) {
        for (NodeId other : d.picker.onPieceVerified(u.id, piece)) {
            Deque<Transfer> q = byId.get(other).queues.get(d); // endgame: cancel the duplicate requests
            if (q != null) {
                q.removeIf(t -> t.piece == piece);
            }
        }
        d.choker.recordReceived(u.id, CONTENT, d.have.pieceCount(), piece, PIECE, now);

        u.choker.recordSent(d.id, CONTENT, d.have.pieceCount(), piece, PIECE, now);
        if (!d.have.set(piece)) {
            return;
        }
        for (Node n : nodes) {
            if (n != d) {
                n.picker.onHave(d.id, piece);
            }
        }
        if (d.picker.isComplete()) {
            d.finished = now;
            d.choker.setSeeding(true);
            for (Node n : d.interestedIn) {
                apply(n, n.choker.onNotInterested(d.id, now), byId);
            }
            d.interestedIn.clear();
            for (Node n : nodes) {
                dropQueue(n, d, FailureReason.CANCELLED);
            }
        }
    }

    /** Pushes choke changes of uploader {@code u}; a choke discards the requests queued there (BEP 3). */
    private static void apply(Node u, List<Choker.ChokeState> changes, Map<NodeId, Node> byId) {
        if (u.freeRider) {
            return; // it never unchokes anyone: its requesters stay choked
        }
        for (Choker.ChokeState change : changes) {
            Node d = byId.get(change.peer());
            if (change.choked()) {
                dropQueue(u, d, FailureReason.CHOKED);
            }
            d.picker.setPeerChoking(u.id, change.choked());
        }
    }

    private static boolean hasSomethingFor(Node u, Node d) {
        long[] uw = u.have.words();
        long[] dw = d.have.words();
        for (int w = 0; w < uw.length; w++) {
            if ((uw[w] & ~dw[w]) != 0) {
                return true;
            }
        }
        return false;
    }

    private static void dropQueue(Node u, Node d, FailureReason reason) {
        Deque<Transfer> q = u.queues.remove(d);
        if (q != null) {
            for (Transfer t : q) {
                d.picker.onPieceFailed(u.id, t.piece, reason);
            }
        }
    }

    @Test
    void freeRiderFinishesMarkedlyLaterAndContributorsAreNotSlowed() {
        System.out.printf("swarm: %d x 256 KiB; seeder %d KiB/s up; %d contributors + 1 free rider, %d KiB/s up, "
                        + "%d KiB/s down each%n", SWARM.pieces(), SWARM.seederUpload() / KIB, SWARM.contributors(),
                SWARM.leecherUpload() / KIB, SWARM.leecherDownload() / KIB);
        double ratioSum = 0;
        double slowdownSum = 0;
        for (long seed = SEED; seed < SEED + SWARM_RUNS; seed++) {
            Outcome with = run(SWARM, true, seed);
            Outcome without = run(SWARM, false, seed);
            double ratio = with.freeRiderSeconds() / with.contributorMean();
            double slowdown = with.contributorMean() / without.contributorMean();

            System.out.printf("swarm seed %d: contributors mean %.1f s (last %.1f s), free rider %.1f s, "
                            + "free_rider_ratio=%.2f (vs last contributor %.2f); without free rider mean %.1f s "
                            + "(last %.1f s), contributor_slowdown=%.3f%n", seed, with.contributorMean(),
                    with.contributorMax(), with.freeRiderSeconds(), ratio,
                    with.freeRiderSeconds() / with.contributorMax(), without.contributorMean(), without.contributorMax(),
                    slowdown);
            // 1.44-1.48 measured; the ceiling is about 1.55 here, as the free rider gets its full limit once they finish.
            assertThat(ratio).as("free rider / mean contributor finish time, seed %d", seed).isGreaterThan(1.4);
            assertThat(with.freeRiderSeconds()).as("free rider after the last contributor, seed %d", seed)
                    .isGreaterThan(with.contributorMax());
            assertThat(slowdown).as("contributor slowdown, seed %d", seed).isLessThan(1.08);
            ratioSum += ratio;
            slowdownSum += slowdown;
        }
        System.out.printf("swarm: mean free_rider_ratio=%.2f, mean contributor_slowdown=%.3f over %d seeds%n",
                ratioSum / SWARM_RUNS, slowdownSum / SWARM_RUNS, SWARM_RUNS);
        assertThat(slowdownSum / SWARM_RUNS).as("mean contributor slowdown").isLessThan(1.05);
    }

    @Test
    void sameSeedReplaysTheSameSwarm() {
        Swarm small = new Swarm(4, 40, 512 * KIB, 256 * KIB, 512 * KIB);
        assertThat(run(small, true, 7)).isEqualTo(run(small, true, 7));
    }
}
