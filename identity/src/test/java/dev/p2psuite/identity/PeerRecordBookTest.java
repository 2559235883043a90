package dev.p2psuite.identity;

import static dev.p2psuite.identity.SignedPeerRecordTest.assertRejected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.p2psuite.identity.InvalidRecordException.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PeerRecordBookTest {

    private final NodeKey alice = TestSupport.key(1);
    private final NodeKey bob = TestSupport.key(2);
    private final PeerRecordBook book = new PeerRecordBook(100);

    private SignedPeerRecord record(NodeKey key, long seq, String host) {
        return SignedPeerRecord.sign(key, seq, List.of(Candidate.host(host, 4001)));
    }

    @Test
    void firstVerifiedRecordIsKept() throws Exception {
        SignedPeerRecord r = record(alice, 1, "a1");
        assertThat(book.accept(r)).isEqualTo(r);
        assertThat(book.get(alice.nodeId())).contains(r);
        assertThat(book.get(bob.nodeId())).isEmpty();
    }

    @Test
    void newerRecordReplacesTheOlderOne() throws Exception {
        book.accept(record(alice, 1, "a1"));
        SignedPeerRecord newer = record(alice, 2, "a2");
        assertThat(book.accept(newer)).isEqualTo(newer);
        assertThat(book.get(alice.nodeId())).contains(newer);
    }

    @Test
    void replayedOlderRecordIsRejectedAsStale() throws Exception {
        SignedPeerRecord old = record(alice, 1, "old-address");
        book.accept(old);
        SignedPeerRecord current = record(alice, 2, "a2");
        book.accept(current);
        assertRejected(() -> book.accept(old), Reason.STALE_SEQUENCE)
                .hasMessageContaining(alice.nodeId().toHex())
                .hasMessageContaining("seq 1, older than seq 2");
        assertThat(book.get(alice.nodeId())).contains(current);
    }

    @Test
    void sameRecordAgainIsAcceptedIdempotently() throws Exception {
        SignedPeerRecord r = record(alice, 5, "a");
        book.accept(r);
        assertThat(book.accept(record(alice, 5, "a"))).isEqualTo(r);
        assertThat(book.size()).isEqualTo(1);
    }

    @Test
    void conflictingRecordWithTheSameSequenceNumberIsRejected() throws Exception {
        SignedPeerRecord first = record(alice, 5, "a");
        book.accept(first);
        assertRejected(() -> book.accept(record(alice, 5, "b")), Reason.STALE_SEQUENCE)
                .hasMessageContaining("conflicting record with the same sequence number");
        assertThat(book.get(alice.nodeId())).contains(first);
    }

    @Test
    void invalidRecordIsRejectedAndNotStored() {
        PeerRecord claimed = new PeerRecord(alice.nodeId(), bob.publicKey(), 9, List.of());
        SignedPeerRecord forged = new SignedPeerRecord(claimed, bob.sign(claimed.canonicalBytes()));
        assertRejected(() -> book.accept(forged), Reason.ID_KEY_MISMATCH);
        assertThat(book.get(alice.nodeId())).isEmpty();
    }

    @Test
    void sequenceNumbersCompareAsUnsigned64BitIntegers() throws Exception {
        book.accept(record(alice, Long.MAX_VALUE, "a"));
        // 2^63 is negative as a Java long but newer as the uint64 it is on the wire.
        SignedPeerRecord newer = record(alice, Long.MIN_VALUE, "b");
        assertThat(book.accept(newer)).isEqualTo(newer);
        assertRejected(() -> book.accept(record(alice, 1, "c")), Reason.STALE_SEQUENCE);
    }

    @Test
    void whenFullTheLeastRecentlyUpdatedRecordIsEvicted() throws Exception {
        PeerRecordBook small = new PeerRecordBook(2);
        NodeKey carol = TestSupport.key(3);
        small.accept(record(alice, 1, "a"));
        small.accept(record(bob, 1, "b"));
        small.accept(record(alice, 2, "a")); // alice is now the most recently updated
        small.accept(record(carol, 1, "c"));
        assertThat(small.size()).isEqualTo(2);
        assertThat(small.get(bob.nodeId())).isEmpty();
        assertThat(small.get(alice.nodeId())).isPresent();
        assertThat(small.get(carol.nodeId())).isPresent();
    }

    @Test
    void concurrentUpdatesLeaveTheHighestSequenceNumber() throws Exception {
        List<SignedPeerRecord> records = new ArrayList<>();
        for (int seq = 1; seq <= 200; seq++) {
            records.add(record(alice, seq, "a" + seq));
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (SignedPeerRecord r : records) {
                futures.add(pool.submit(() -> {
                    try {
                        book.accept(r);
                    } catch (InvalidRecordException e) {
                        assertThat(e.reason()).isEqualTo(Reason.STALE_SEQUENCE);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(book.get(alice.nodeId()).orElseThrow().seq()).isEqualTo(200);
    }

    @Test
    void sizeMustBePositive() {
        assertThatThrownBy(() -> new PeerRecordBook(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
