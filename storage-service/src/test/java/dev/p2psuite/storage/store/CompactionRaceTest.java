package dev.p2psuite.storage.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.infinispan.persistence.spi.PersistenceException;
import org.junit.jupiter.api.Test;

/** Which read failures the piece store retries instead of treating the entry as torn by a crash. */
class CompactionRaceTest {

    @Test
    void aReadThatMetCompactionIsRetriedNotDropped() {
        PersistenceException raced = new PersistenceException("ISPN029019: Cannot load key k from index.",
                new IllegalStateException("Concurrent update to compacting file when reading metadata on 0: 14858840"));
        assertThat(InfinispanPieceStore.racedCompaction(raced)).isTrue();
    }

    @Test
    void anyOtherLoadFailureIsATornEntry() {
        assertThat(InfinispanPieceStore.racedCompaction(new PersistenceException("ISPN029019: Cannot load key k",
                new IllegalStateException("Error reading from 3:4096")))).isFalse();
        assertThat(InfinispanPieceStore.racedCompaction(new PersistenceException("checksum mismatch"))).isFalse();
    }
}
