package dev.p2psuite.dht.core;

import static dev.p2psuite.dht.core.TestSupport.contact;
import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.dht.core.RecordStore.StoreResult.Kind;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.NodeKey;
import dev.p2psuite.identity.SignedPeerRecord;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RecordStoreTest {

    private final TestSupport.MutableClock clock = new TestSupport.MutableClock();
    private final SplittableRandom random = new SplittableRandom(77);
    private final NodeKey alice = TestSupport.key(1);
    private final NodeKey bob = TestSupport.key(2);
    private final SignedPeerRecord aliceRecord = TestSupport.signedContact(alice, "93.1.1.1").record();
    private final SignedPeerRecord bobRecord = TestSupport.signedContact(bob, "93.2.2.2").record();
    private final NodeId key = NodeId.random(random);
    private final RecordStore store = new RecordStore(clock, RecordStore.Limits.defaults());

    private ValueRecord signed(NodeKey k, SignedPeerRecord publisher, long seq, String value, Duration ttl) {
        return ValueRecord.sign(k, publisher, key, value.getBytes(), seq, clock.millis() + ttl.toMillis());
    }

    private ValueRecord byAlice(long seq, String value) {
        return signed(alice, aliceRecord, seq, value, Duration.ofHours(1));
    }

    @Test
    void validRecordIsStoredAndServed() {
        ValueRecord r = byAlice(1, "v1");
        assertThat(store.putValue(r)).isEqualTo(new RecordStore.StoreResult(Kind.STORED, 1, null));
        assertThat(store.getValue(key)).contains(r);
        assertThat(store.valueCount()).isEqualTo(1);
    }

    @Test
    void samePublisherWithHigherSeqReplacesTheHeldRecord() {
        store.putValue(byAlice(1, "v1"));
        ValueRecord newer = byAlice(2, "v2");
        assertThat(store.putValue(newer).kind()).isEqualTo(Kind.STORED);
        assertThat(store.getValue(key)).contains(newer);
        assertThat(store.valueBytes()).isEqualTo(2);
    }

    @Test
    void equalOrLowerSeqIsStaleAndReportsTheHeldSeq() {
        store.putValue(byAlice(5, "v5"));
        assertThat(store.putValue(byAlice(5, "other"))).extracting(RecordStore.StoreResult::kind,
                RecordStore.StoreResult::heldSeq).containsExactly(Kind.STALE, 5L);
        assertThat(store.putValue(byAlice(4, "v4")).kind()).isEqualTo(Kind.STALE);
        assertThat(new String(store.getValue(key).orElseThrow().value())).isEqualTo("v5");
    }

    @Test
    void anotherPublisherCannotOverwriteAnUnexpiredRecord() {
        store.putValue(byAlice(1, "mine"));
        RecordStore.StoreResult r = store.putValue(signed(bob, bobRecord, 99, "yours", Duration.ofHours(1)));
        assertThat(r.kind()).isEqualTo(Kind.CONFLICT);
        assertThat(r.heldSeq()).isEqualTo(1);
        assertThat(new String(store.getValue(key).orElseThrow().value())).isEqualTo("mine");
    }

    @Test
    void anotherPublisherMayTakeTheKeyOnceTheHeldRecordExpired() {
        store.putValue(byAlice(1, "mine"));
        clock.advance(Duration.ofHours(2));
        assertThat(store.putValue(signed(bob, bobRecord, 1, "yours", Duration.ofHours(1))).kind())
                .isEqualTo(Kind.STORED);
    }

    @Test
    void recordsExpireByTheClock() {
        store.putValue(byAlice(1, "v"));
        clock.advance(Duration.ofMinutes(59));
        assertThat(store.getValue(key)).isPresent();
        clock.advance(Duration.ofMinutes(1));
        assertThat(store.getValue(key)).isEmpty();
        assertThat(store.expire()).isZero();  // already dropped by the read
    }

    @Test
    void expiredRecordIsRejected() {
        ValueRecord r = byAlice(1, "v");
        clock.advance(Duration.ofHours(2));
        RecordStore.StoreResult result = store.putValue(r);
        assertThat(result.kind()).isEqualTo(Kind.INVALID);
        assertThat(result.reason()).contains("expired");
    }

    @Test
    void alteredValueFailsTheSignatureCheck() {
        ValueRecord genuine = byAlice(1, "genuine");
        ValueRecord forged = new ValueRecord(key, "forged".getBytes(), aliceRecord, 1, genuine.expiresAtUnixMs(),
                genuine.signature());
        RecordStore.StoreResult r = store.putValue(forged);
        assertThat(r.kind()).isEqualTo(Kind.INVALID);
        assertThat(r.reason()).contains("not signed by its publisher");
        assertThat(store.valueCount()).isZero();
    }

    @Test
    void recordSignedByAnotherKeyThanItsPublisherIsRejected() {
        ValueRecord r = ValueRecord.sign(bob, aliceRecord, key, "x".getBytes(), 1, clock.millis() + 60_000);
        assertThat(store.putValue(r).kind()).isEqualTo(Kind.INVALID);
    }

    @Test
    void oversizeValueIsRejected() {
        ValueRecord big = new ValueRecord(key, new byte[ValueRecord.MAX_VALUE_BYTES + 1], aliceRecord, 1,
                clock.millis() + 60_000, new byte[NodeKey.SIGNATURE_BYTES]);
        RecordStore.StoreResult r = store.putValue(big);
        assertThat(r.kind()).isEqualTo(Kind.INVALID);
        assertThat(r.reason()).contains("at most " + ValueRecord.MAX_VALUE_BYTES);
    }

    @Test
    void expiryBeyondTheMaximumTtlIsClampedLocally() {
        store.putValue(signed(alice, aliceRecord, 1, "v", Duration.ofDays(30)));
        clock.advance(Kademlia.MAX_VALUE_TTL);
        assertThat(store.getValue(key)).isEmpty();
    }

    @Test
    void fullStoreRefusesNewKeysButStillServesHeldOnes() {
        RecordStore small = new RecordStore(clock, new RecordStore.Limits(2, Long.MAX_VALUE, 10, Kademlia.K,
                Kademlia.MAX_VALUE_TTL, Kademlia.PROVIDER_TTL));
        for (int i = 0; i < 2; i++) {
            NodeId k = NodeId.random(random);
            assertThat(small.putValue(ValueRecord.sign(alice, aliceRecord, k, "v".getBytes(), 1,
                    clock.millis() + 60_000)).kind()).isEqualTo(Kind.STORED);
        }
        assertThat(small.putValue(byAlice(1, "v")).kind()).isEqualTo(Kind.FULL);
        clock.advance(Duration.ofMinutes(2));  // the two expire: room again
        assertThat(small.putValue(byAlice(1, "v")).kind()).isEqualTo(Kind.STORED);
    }

    @Test
    void byteBudgetBoundsTheStore() {
        RecordStore small = new RecordStore(clock, new RecordStore.Limits(100, 10, 10, Kademlia.K,
                Kademlia.MAX_VALUE_TTL, Kademlia.PROVIDER_TTL));
        assertThat(small.putValue(byAlice(1, "0123456789")).kind()).isEqualTo(Kind.STORED);
        assertThat(small.putValue(byAlice(2, "0123456789A")).kind()).isEqualTo(Kind.FULL);
    }

    @Test
    void atMostKProvidersAreKeptPerKey() {
        for (int i = 0; i < Kademlia.K; i++) {
            assertThat(store.addProvider(key, contact(NodeId.random(random), random), Kademlia.PROVIDER_TTL))
                    .isTrue();
        }
        assertThat(store.addProvider(key, contact(NodeId.random(random), random), Kademlia.PROVIDER_TTL)).isFalse();
        assertThat(store.providers(key)).hasSize(Kademlia.K);
    }

    @Test
    void knownProviderIsRefreshedEvenWhenTheKeyIsFull() {
        Contact first = contact(NodeId.random(random), random);
        store.addProvider(key, first, Duration.ofHours(1));
        for (int i = 1; i < Kademlia.K; i++) {
            store.addProvider(key, contact(NodeId.random(random), random), Duration.ofHours(1));
        }
        clock.advance(Duration.ofMinutes(50));
        assertThat(store.addProvider(key, first, Duration.ofHours(1))).isTrue();
        clock.advance(Duration.ofMinutes(20));
        assertThat(store.providers(key)).containsExactly(first);
    }

    @Test
    void providerTtlIsClampedAndProvidersExpire() {
        Contact p = contact(NodeId.random(random), random);
        store.addProvider(key, p, Duration.ofDays(10));
        clock.advance(Kademlia.PROVIDER_TTL.minusSeconds(1));
        assertThat(store.providers(key)).containsExactly(p);
        clock.advance(Duration.ofSeconds(1));
        assertThat(store.providers(key)).isEmpty();
        assertThat(store.providerCount()).isZero();
    }
}
