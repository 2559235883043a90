package dev.p2psuite.dht.core;

import static dev.p2psuite.dht.core.TestSupport.contact;
import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.dht.core.RoutingTable.Outcome;
import dev.p2psuite.identity.NodeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RoutingTableTest {

    private static final long SEED = 20240601L;

    private final TestSupport.MutableClock clock = new TestSupport.MutableClock();
    private final SplittableRandom random = new SplittableRandom(SEED);
    private final NodeId self = NodeId.random(random);

    private RoutingTable table(RoutingTable.Config config) {
        return new RoutingTable(self, config, clock);
    }

    /** Pings whenever a bucket is full (Kademlia's rule without BEP 5's "good node" shortcut). */
    private RoutingTable pingingTable() {
        RoutingTable.Config d = RoutingTable.Config.defaults();
        return table(new RoutingTable.Config(d.k(), d.maxPerIpGroup(), d.diversityExemptsPrivate(),
                d.failuresBeforeEviction(), Duration.ZERO, d.replacementCacheSize()));
    }

    private Contact inBucket(int index) {
        return contact(NodeId.randomWithCommonPrefix(self, index, random), random);
    }

    private List<Contact> fillBucket(RoutingTable t, int index) {
        List<Contact> added = new ArrayList<>();
        for (int i = 0; i < Kademlia.K; i++) {
            Contact c = inBucket(index);
            assertThat(t.observe(c).outcome()).isEqualTo(Outcome.ADDED);
            added.add(c);
            clock.advance(Duration.ofMillis(1));
        }
        return added;
    }

    private List<Contact> bucketContacts(RoutingTable t, int index) {
        return t.snapshot(false).stream().filter(b -> b.index() == index).findFirst()
                .map(b -> b.contacts().stream().map(RoutingTable.Entry::contact).toList()).orElse(List.of());
    }

    @Test
    void selfIsNeverInserted() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        RoutingTable.Observation o = t.observe(contact(self, random));
        assertThat(o.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(o.reason()).isEqualTo(RoutingTable.Rejection.SELF);
        assertThat(t.size()).isZero();
        assertThat(t.restore(contact(self, random), 0)).isFalse();
    }

    @Test
    void contactsLandInTheBucketOfTheirSharedPrefixLength() {
        for (int sample = 0; sample < 200; sample++) {
            long seed = SEED + sample;
            SplittableRandom r = new SplittableRandom(seed);
            NodeId me = NodeId.random(r);
            RoutingTable t = new RoutingTable(me, RoutingTable.Config.defaults(), clock);
            NodeId other = NodeId.random(r);
            if (r.nextBoolean()) {
                other = NodeId.randomWithCommonPrefix(me, r.nextInt(Kademlia.BUCKETS), r);
            }
            t.observe(contact(other, r));
            int expected = me.commonPrefixLength(other);
            assertThat(t.snapshot(false)).as("seed %d", seed).singleElement()
                    .satisfies(b -> assertThat(b.index()).isEqualTo(expected));
            assertThat(t.bucketIndexOf(other)).as("seed %d", seed).isEqualTo(expected);
        }
    }

    @Test
    void refreshedContactMovesToTheTailLeastRecentlySeenFirst() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        Contact a = inBucket(3);
        Contact b = inBucket(3);
        Contact c = inBucket(3);
        t.observe(a);
        clock.advance(Duration.ofSeconds(1));
        t.observe(b);
        clock.advance(Duration.ofSeconds(1));
        t.observe(c);
        clock.advance(Duration.ofSeconds(1));
        assertThat(t.observe(a).outcome()).isEqualTo(Outcome.REFRESHED);
        assertThat(bucketContacts(t, 3)).containsExactly(b, c, a);
        List<RoutingTable.Entry> entries = t.snapshot(false).get(0).contacts();
        assertThat(entries.get(2).lastSeenUnixMs()).isEqualTo(clock.millis());
    }

    @Test
    void fullBucketAsksToPingTheOldestAndCachesTheNewcomer() {
        RoutingTable t = pingingTable();
        List<Contact> first = fillBucket(t, 0);
        Contact newcomer = inBucket(0);
        RoutingTable.Observation o = t.observe(newcomer);
        assertThat(o.outcome()).isEqualTo(Outcome.PING_OLDEST);
        assertThat(o.oldest()).isEqualTo(first.get(0));
        assertThat(t.contains(newcomer.id())).isFalse();
        assertThat(t.snapshot(true).get(0).replacements()).containsExactly(newcomer);
        // While that ping is out, further newcomers only wait in the cache.
        assertThat(t.observe(inBucket(0)).outcome()).isEqualTo(Outcome.CACHED);
    }

    @Test
    void unresponsiveContactIsEvictedAfterFailedPing() {
        RoutingTable t = pingingTable();
        List<Contact> first = fillBucket(t, 0);
        Contact newcomer = inBucket(0);
        Contact oldest = t.observe(newcomer).oldest();
        t.pingResult(oldest, false);
        assertThat(t.contains(oldest.id())).isFalse();
        assertThat(t.contains(newcomer.id())).isTrue();
        assertThat(t.size()).isEqualTo(Kademlia.K);
        assertThat(bucketContacts(t, 0)).doesNotContain(first.get(0));
    }

    @Test
    void liveOldestContactStaysAndMovesToTailWhileNewcomerStaysCached() {
        RoutingTable t = pingingTable();
        List<Contact> first = fillBucket(t, 0);
        Contact newcomer = inBucket(0);
        Contact oldest = t.observe(newcomer).oldest();
        t.pingResult(oldest, true);
        assertThat(bucketContacts(t, 0)).last().isEqualTo(first.get(0));
        assertThat(t.contains(newcomer.id())).isFalse();
        assertThat(t.snapshot(true).get(0).replacements()).containsExactly(newcomer);
    }

    @Test
    void goodOldestContactIsNotPingedWithinTheQuestionableWindow() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        fillBucket(t, 0);
        assertThat(t.observe(inBucket(0)).outcome()).isEqualTo(Outcome.CACHED);
        clock.advance(Kademlia.QUESTIONABLE_AFTER);
        assertThat(t.observe(inBucket(0)).outcome()).isEqualTo(Outcome.PING_OLDEST);
    }

    @Test
    void contactFailingTwiceInARowIsDroppedAndTheBucketRefillsFromItsCache() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        List<Contact> first = fillBucket(t, 5);
        Contact waiting = inBucket(5);
        assertThat(t.observe(waiting).outcome()).isEqualTo(Outcome.CACHED);
        Contact victim = first.get(7);
        assertThat(t.failed(victim.id())).isFalse();
        assertThat(t.contains(victim.id())).isTrue();
        assertThat(t.failed(victim.id())).isTrue();
        assertThat(t.contains(victim.id())).isFalse();
        assertThat(t.contains(waiting.id())).isTrue();
        assertThat(t.size()).isEqualTo(Kademlia.K);
    }

    @Test
    void answerBetweenFailuresResetsTheCount() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        Contact c = inBucket(2);
        t.observe(c);
        t.failed(c.id());
        t.observe(c);
        assertThat(t.failed(c.id())).isFalse();
        assertThat(t.contains(c.id())).isTrue();
    }

    @Test
    void promotedContactsAreReportedToTheInsertListener() {
        RoutingTable t = pingingTable();
        List<Contact> inserted = new ArrayList<>();
        t.onInsert(inserted::add);
        fillBucket(t, 1);
        Contact newcomer = inBucket(1);
        t.pingResult(t.observe(newcomer).oldest(), false);
        assertThat(inserted).hasSize(Kademlia.K + 1).last().isEqualTo(newcomer);
    }

    @Test
    void thirdContactFromOneIpv4Slash24IsRejectedFromABucket() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        NodeId a = NodeId.randomWithCommonPrefix(self, 0, random);
        NodeId b = NodeId.randomWithCommonPrefix(self, 0, random);
        NodeId c = NodeId.randomWithCommonPrefix(self, 0, random);
        assertThat(t.observe(contact(a, "93.184.216.1", 4001)).outcome()).isEqualTo(Outcome.ADDED);
        assertThat(t.observe(contact(b, "93.184.216.2", 4001)).outcome()).isEqualTo(Outcome.ADDED);
        RoutingTable.Observation third = t.observe(contact(c, "93.184.216.3", 4001));
        assertThat(third.outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(third.reason()).isEqualTo(RoutingTable.Rejection.IP_LIMIT);
        assertThat(third.detail()).contains("93.184.216.0/24");
        // Another /24, or another bucket, is fine.
        assertThat(t.observe(contact(c, "93.184.217.3", 4001)).outcome()).isEqualTo(Outcome.ADDED);
        NodeId d = NodeId.randomWithCommonPrefix(self, 1, random);
        assertThat(t.observe(contact(d, "93.184.216.4", 4001)).outcome()).isEqualTo(Outcome.ADDED);
    }

    @Test
    void ipv6ContactsAreGroupedBySlash48AndHostNamesByName() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        for (int i = 0; i < 2; i++) {
            t.observe(contact(NodeId.randomWithCommonPrefix(self, 0, random), "2001:db8:1:" + i + "::1", 4001));
            t.observe(contact(NodeId.randomWithCommonPrefix(self, 0, random), "node.example.org", 4001 + i));
        }
        assertThat(t.observe(contact(NodeId.randomWithCommonPrefix(self, 0, random), "2001:db8:1:ff::7", 4001))
                .reason()).isEqualTo(RoutingTable.Rejection.IP_LIMIT);
        assertThat(t.observe(contact(NodeId.randomWithCommonPrefix(self, 0, random), "2001:db8:2::7", 4001))
                .outcome()).isEqualTo(Outcome.ADDED);
        assertThat(t.observe(contact(NodeId.randomWithCommonPrefix(self, 0, random), "NODE.example.org", 4009))
                .reason()).isEqualTo(RoutingTable.Rejection.IP_LIMIT);
    }

    @Test
    void loopbackAndPrivateAddressesAreExemptUnlessConfiguredOtherwise() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        for (int i = 0; i < 10; i++) {
            assertThat(t.observe(contact(NodeId.randomWithCommonPrefix(self, 0, random), "127.0.0.1", 5000 + i))
                    .outcome()).isEqualTo(Outcome.ADDED);
        }
        RoutingTable.Config d = RoutingTable.Config.defaults();
        RoutingTable strict = table(new RoutingTable.Config(d.k(), 2, false, d.failuresBeforeEviction(),
                d.questionableAfter(), d.replacementCacheSize()));
        for (int i = 0; i < 3; i++) {
            strict.observe(contact(NodeId.randomWithCommonPrefix(self, 0, random), "10.0.0." + (i + 1), 4001));
        }
        assertThat(strict.size()).isEqualTo(2);
        RoutingTable unlimited = table(new RoutingTable.Config(d.k(), 0, false, d.failuresBeforeEviction(),
                d.questionableAfter(), d.replacementCacheSize()));
        for (int i = 0; i < 3; i++) {
            unlimited.observe(contact(NodeId.randomWithCommonPrefix(self, 0, random), "8.8.8." + (i + 1), 4001));
        }
        assertThat(unlimited.size()).isEqualTo(3);
    }

    @Test
    void closestMatchesBruteForceOverRandomTables() {
        for (int sample = 0; sample < 150; sample++) {
            long seed = SEED * 31 + sample;
            SplittableRandom r = new SplittableRandom(seed);
            NodeId me = NodeId.random(r);
            RoutingTable t = new RoutingTable(me, RoutingTable.Config.defaults(), clock);
            int n = r.nextInt(400);
            for (int i = 0; i < n; i++) {
                NodeId id = r.nextInt(3) == 0 ? NodeId.randomWithCommonPrefix(me, r.nextInt(20), r) : NodeId.random(r);
                t.observe(contact(id, r));
            }
            List<Contact> all = t.entries().stream().map(RoutingTable.Entry::contact).toList();
            NodeId target = r.nextBoolean() ? NodeId.random(r)
                    : NodeId.randomWithCommonPrefix(me, r.nextInt(Kademlia.BUCKETS), r);
            int want = 1 + r.nextInt(40);
            NodeId exclude = all.isEmpty() || r.nextBoolean() ? null : all.get(r.nextInt(all.size())).id();
            List<Contact> expected = all.stream().filter(c -> !c.id().equals(exclude))
                    .sorted((a, b) -> NodeId.byDistanceTo(target).compare(a.id(), b.id())).limit(want).toList();
            assertThat(t.closest(target, want, exclude)).as("seed %d", seed).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void bucketsUntouchedForTheIntervalAreDueForRefresh() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        t.observe(inBucket(0));
        t.observe(inBucket(4));
        clock.advance(Duration.ofMinutes(10));
        t.observe(inBucket(2));
        clock.advance(Duration.ofMinutes(6));
        assertThat(t.bucketsToRefresh(Kademlia.BUCKET_REFRESH_INTERVAL)).containsExactly(0, 1, 3, 4);
        t.touchBucketOf(NodeId.randomWithCommonPrefix(self, 3, random));
        assertThat(t.bucketsToRefresh(Kademlia.BUCKET_REFRESH_INTERVAL)).containsExactly(0, 1, 4);
    }

    @Test
    void randomIdInABucketFallsInThatBucket() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        for (int i = 0; i < Kademlia.BUCKETS; i++) {
            assertThat(t.bucketIndexOf(t.randomIdInBucket(i, random))).isEqualTo(i);
        }
    }

    @Test
    void snapshotListsBucketsWithLastSeenAndReplacementCount() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        fillBucket(t, 0);
        t.observe(inBucket(0));
        t.observe(inBucket(7));
        List<RoutingTable.BucketSnapshot> s = t.snapshot(false);
        assertThat(s).extracting(RoutingTable.BucketSnapshot::index).containsExactly(0, 7);
        assertThat(s.get(0).contacts()).hasSize(Kademlia.K);
        assertThat(s.get(0).replacementCount()).isEqualTo(1);
        assertThat(s.get(0).replacements()).isEmpty();
        assertThat(s.get(1).contacts().get(0).lastSeenUnixMs()).isEqualTo(clock.millis());
        assertThat(t.bucketsUsed()).isEqualTo(2);
    }

    @Test
    void recentlySeenSharesOnlyContactsHeardFromWithinTheWindow() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        Contact old = inBucket(0);
        t.observe(old);
        clock.advance(Duration.ofMinutes(30));
        Contact fresh = inBucket(1);
        t.observe(fresh);
        assertThat(t.recentlySeen(Duration.ofMinutes(15), Kademlia.MAX_PEERS_PER_PEX)).containsExactly(fresh);
    }

    @Test
    void newerRecordOfAKnownContactReplacesTheOlderOne() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        NodeId id = NodeId.randomWithCommonPrefix(self, 0, random);
        t.observe(contact(id, "93.1.1.1", 4001));
        Contact moved = contact(id, "93.2.2.2", 4001);
        Contact newer = new Contact(id, moved.endpoint(), new dev.p2psuite.identity.SignedPeerRecord(
                new dev.p2psuite.identity.PeerRecord(id, new byte[32], 2, moved.record().record().candidates()),
                new byte[64]));
        t.observe(newer);
        assertThat(t.get(id)).hasValueSatisfying(c -> assertThat(c.endpoint().host()).isEqualTo("93.2.2.2"));
    }

    @Test
    void restoredContactsKeepLeastRecentlySeenOrder() {
        RoutingTable t = table(RoutingTable.Config.defaults());
        Contact a = inBucket(0);
        Contact b = inBucket(0);
        assertThat(t.restore(b, 2_000)).isTrue();
        assertThat(t.restore(a, 1_000)).isTrue();
        assertThat(bucketContacts(t, 0)).containsExactly(a, b);
    }
}
