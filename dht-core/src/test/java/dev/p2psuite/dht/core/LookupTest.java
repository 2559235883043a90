package dev.p2psuite.dht.core;

import static dev.p2psuite.dht.core.TestSupport.contact;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LookupTest {

    private static final long SEED = 424242L;
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_000L);

    /** A static network: every node knows everyone, answers with its k closest to the target. */
    private static final class World {
        final List<Contact> nodes = new ArrayList<>();

        World(int n, SplittableRandom r) {
            for (int i = 0; i < n; i++) {
                nodes.add(contact(NodeId.random(r), r));
            }
        }

        List<Contact> closest(NodeId target, int n, NodeId exclude) {
            return nodes.stream().filter(c -> !c.id().equals(exclude))
                    .sorted(Comparator.comparing(Contact::id, NodeId.byDistanceTo(target))).limit(n).toList();
        }

        /** What a node with a partial view would answer: the k closest among a random subset. */
        List<Contact> partialClosest(NodeId target, int k, SplittableRandom r) {
            List<Contact> view = new ArrayList<>();
            for (Contact c : nodes) {
                if (r.nextInt(4) == 0) {
                    view.add(c);
                }
            }
            return view.stream().sorted(Comparator.comparing(Contact::id, NodeId.byDistanceTo(target))).limit(k)
                    .toList();
        }
    }

    private static Lookup lookup(NodeId target, List<Contact> seeds) {
        return new Lookup(target, seeds, Kademlia.K, Kademlia.ALPHA, TIMEOUT, Lookup.Mode.FIND_NODE, null);
    }

    @Test
    void firstStepsQueryTheAlphaClosestSeedsThenWait() {
        SplittableRandom r = new SplittableRandom(SEED);
        World w = new World(50, r);
        NodeId target = NodeId.random(r);
        Lookup l = lookup(target, w.nodes);
        List<Contact> expected = w.closest(target, 3, null);
        for (int i = 0; i < 3; i++) {
            assertThat(l.next(T0)).isEqualTo(new Lookup.Query(expected.get(i)));
        }
        assertThat(l.next(T0)).isEqualTo(new Lookup.Wait(T0.plus(TIMEOUT)));
        assertThat(l.inFlight()).isEqualTo(3);
    }

    @Test
    void neverMoreThanAlphaRequestsInFlight() {
        for (int sample = 0; sample < 30; sample++) {
            long seed = SEED + sample;
            SplittableRandom r = new SplittableRandom(seed);
            World w = new World(300, r);
            NodeId target = NodeId.random(r);
            Lookup l = lookup(target, w.partialClosest(target, 20, r));
            List<Contact> out = new ArrayList<>();
            Instant now = T0;
            while (true) {
                Lookup.Step s = l.next(now);
                assertThat(l.inFlight()).as("seed %d", seed).isLessThanOrEqualTo(Kademlia.ALPHA);
                if (s instanceof Lookup.Query q) {
                    out.add(q.peer());
                } else if (s instanceof Lookup.Finished) {
                    break;
                } else {
                    // answer one outstanding request, in random order
                    Contact p = out.remove(r.nextInt(out.size()));
                    if (r.nextInt(10) == 0) {
                        l.onFailure(p);
                    } else {
                        l.onResponse(p, w.partialClosest(target, 20, r));
                    }
                    now = now.plusMillis(5);
                }
            }
        }
    }

    @Test
    void finishesWithTheTrueKClosestWhenTheyHaveAllAnswered() {
        for (int sample = 0; sample < 40; sample++) {
            long seed = SEED * 7 + sample;
            SplittableRandom r = new SplittableRandom(seed);
            World w = new World(200 + r.nextInt(300), r);
            NodeId target = NodeId.random(r);
            Lookup l = lookup(target, w.partialClosest(target, 20, r));
            Set<NodeId> answered = new HashSet<>();
            Lookup.Result result = run(l, p -> {
                answered.add(p.id());
                return w.closest(target, 20, p.id());
            });
            List<Contact> truth = w.closest(target, 20, null);
            assertThat(result.closest()).as("seed %d", seed).containsExactlyElementsOf(truth);
            assertThat(answered).as("seed %d", seed).containsAll(truth.stream().map(Contact::id).toList());
            assertThat(result.messages()).isEqualTo(answered.size());
        }
    }

    /** Drives {@code l} answering every query synchronously with {@code answer}. */
    private static Lookup.Result run(Lookup l, java.util.function.Function<Contact, List<Contact>> answer) {
        while (true) {
            Lookup.Step s = l.next(T0);
            if (s instanceof Lookup.Query q) {
                List<Contact> closer = answer.apply(q.peer());
                if (closer == null) {
                    l.onFailure(q.peer());
                } else {
                    l.onResponse(q.peer(), closer);
                }
            } else if (s instanceof Lookup.Finished f) {
                return f.result();
            } else {
                throw new AssertionError("synchronous answers never leave the lookup waiting");
            }
        }
    }

    @Test
    void failedPeersAreSkippedAndNeverInTheResult() {
        SplittableRandom r = new SplittableRandom(SEED + 99);
        World w = new World(300, r);
        NodeId target = NodeId.random(r);
        Set<NodeId> dead = new HashSet<>();
        for (Contact c : w.closest(target, 10, null)) {
            if (r.nextBoolean()) {
                dead.add(c.id());
            }
        }
        // Half the responders have already dropped the dead nodes from their tables, half still list them.
        List<Contact> aliveNodes = w.nodes.stream().filter(c -> !dead.contains(c.id())).toList();
        Lookup.Result result = run(lookup(target, w.partialClosest(target, 20, r)), p -> {
            if (dead.contains(p.id())) {
                return null;
            }
            List<Contact> view = r.nextBoolean() ? w.nodes : aliveNodes;
            return view.stream().filter(c -> !c.id().equals(p.id()))
                    .sorted(Comparator.comparing(Contact::id, NodeId.byDistanceTo(target))).limit(20).toList();
        });
        List<Contact> aliveTruth = w.nodes.stream().filter(c -> !dead.contains(c.id()))
                .sorted(Comparator.comparing(Contact::id, NodeId.byDistanceTo(target))).limit(20).toList();
        assertThat(result.closest()).containsExactlyElementsOf(aliveTruth);
        assertThat(result.failures()).isEqualTo(dead.size());
    }

    @Test
    void timedOutRequestCountsAsFailedAndFreesItsSlot() {
        SplittableRandom r = new SplittableRandom(SEED + 5);
        World w = new World(40, r);
        NodeId target = NodeId.random(r);
        Lookup l = lookup(target, w.nodes);
        Contact first = ((Lookup.Query) l.next(T0)).peer();
        l.next(T0);
        l.next(T0);
        assertThat(l.next(T0.plusMillis(999))).isInstanceOf(Lookup.Wait.class);
        Lookup.Step after = l.next(T0.plus(TIMEOUT));
        // All three timed out together: three new queries may go out.
        assertThat(after).isInstanceOf(Lookup.Query.class);
        assertThat(((Lookup.Query) after).peer()).isNotEqualTo(first);
        assertThat(l.inFlight()).isEqualTo(1);
    }

    @Test
    void lateAnswerFromAnUnresponsivePeerIsStillUsed() {
        SplittableRandom r = new SplittableRandom(SEED + 6);
        World w = new World(40, r);
        NodeId target = NodeId.random(r);
        Contact only = w.nodes.get(0);
        Lookup l = lookup(target, List.of(only));
        assertThat(l.next(T0)).isEqualTo(new Lookup.Query(only));
        Lookup.Step timedOut = l.next(T0.plus(TIMEOUT));
        assertThat(timedOut).isInstanceOf(Lookup.Finished.class);
        assertThat(((Lookup.Finished) timedOut).result().closest()).isEmpty();

        // With one request at a time: the first peer times out, the second is asked, then the first answers late.
        Contact other = w.nodes.get(1);
        Lookup l2 = new Lookup(target, List.of(only, other), Kademlia.K, 1, TIMEOUT, Lookup.Mode.FIND_NODE, null);
        Contact first = ((Lookup.Query) l2.next(T0)).peer();
        Contact second = ((Lookup.Query) l2.next(T0.plus(TIMEOUT))).peer();
        assertThat(second).isNotEqualTo(first);
        l2.onResponse(first, List.of());
        l2.onResponse(second, List.of());
        Lookup.Result result = ((Lookup.Finished) l2.next(T0.plus(TIMEOUT))).result();
        assertThat(result.closest()).containsExactlyInAnyOrder(first, second);
        assertThat(result.failures()).isZero();
    }

    @Test
    void lookupWithoutCandidatesFinishesAtOnce() {
        Lookup l = lookup(NodeId.random(new SplittableRandom(1)), List.of());
        Lookup.Step s = l.next(T0);
        assertThat(s).isInstanceOf(Lookup.Finished.class);
        assertThat(((Lookup.Finished) s).result().closest()).isEmpty();
        assertThat(((Lookup.Finished) s).result().rounds()).isZero();
    }

    @Test
    void valueModeStopsAtTheFirstValue() {
        SplittableRandom r = new SplittableRandom(SEED + 8);
        World w = new World(100, r);
        NodeId target = NodeId.random(r);
        Lookup l = new Lookup(target, w.nodes, Kademlia.K, Kademlia.ALPHA, TIMEOUT, Lookup.Mode.FIND_VALUE, null);
        Contact a = ((Lookup.Query) l.next(T0)).peer();
        Contact b = ((Lookup.Query) l.next(T0)).peer();
        l.onResponse(a, w.closest(target, 20, a.id()));
        l.onValue(b);
        Lookup.Step s = l.next(T0);
        assertThat(s).isInstanceOf(Lookup.Finished.class);
        Lookup.Result result = ((Lookup.Finished) s).result();
        assertThat(result.valueFound()).isTrue();
        assertThat(result.valueFrom()).isEqualTo(b);
        assertThat(result.messages()).isEqualTo(2);
        Lookup nodeMode = lookup(target, w.nodes);
        assertThatThrownBy(() -> nodeMode.onValue(a)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void roundsCountTheDepthOfTheQueryChain() {
        SplittableRandom r = new SplittableRandom(SEED + 9);
        World w = new World(60, r);
        NodeId target = NodeId.random(r);
        List<Contact> byDistance = w.closest(target, 60, null);
        // The seed is the farthest node; each answer reveals only the next closer node: a chain.
        Lookup l = new Lookup(target, List.of(byDistance.get(4)), 5, 1, TIMEOUT, Lookup.Mode.FIND_NODE, null);
        Lookup.Result result = run(l, p -> {
            int at = byDistance.indexOf(p);
            return at == 0 ? List.of() : List.of(byDistance.get(at - 1));
        });
        assertThat(result.rounds()).isEqualTo(5);
        assertThat(result.messages()).isEqualTo(5);
    }

    @Test
    void stopEndsTheLookupWithWhatItHas() {
        SplittableRandom r = new SplittableRandom(SEED + 10);
        World w = new World(100, r);
        NodeId target = NodeId.random(r);
        Lookup l = lookup(target, w.nodes);
        Contact a = ((Lookup.Query) l.next(T0)).peer();
        l.onResponse(a, List.of());
        l.stop();
        Lookup.Result result = ((Lookup.Finished) l.next(T0)).result();
        assertThat(result.stopped()).isTrue();
        assertThat(result.closest()).containsExactly(a);
    }

    @Test
    void selfIsNeverQueried() {
        SplittableRandom r = new SplittableRandom(SEED + 11);
        World w = new World(30, r);
        NodeId target = NodeId.random(r);
        Contact me = w.closest(target, 1, null).get(0);
        Lookup l = new Lookup(target, w.nodes, Kademlia.K, Kademlia.ALPHA, TIMEOUT, Lookup.Mode.FIND_NODE, me.id());
        Lookup.Result result = run(l, p -> w.closest(target, 20, p.id()));
        assertThat(result.closest()).doesNotContain(me);
        assertThat(result.closest()).hasSize(20);
    }
}
