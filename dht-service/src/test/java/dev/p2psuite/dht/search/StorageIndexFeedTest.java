package dev.p2psuite.dht.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The search index follows storage-service's complete contents, and survives storage being down. */
class StorageIndexFeedTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void everyPageIsReadAndOnlyCompleteContentsAreIndexed() throws Exception {
        try (FakeStorage storage = new FakeStorage(0)) {
            for (int i = 0; i < 2_500; i++) {
                IndexedContent c = SearchPeerGrpcTest.content("clip " + i + ".mp4", "video/mp4", "t" + (i % 3));
                storage.contents.add(FakeStorage.summary(c, i % 5 != 0));
            }
            MetadataIndex index = new MetadataIndex();
            try (StorageIndexFeed feed = new StorageIndexFeed(storage.address(), index, timer, Duration.ofMinutes(1))) {
                feed.refresh().get(10, TimeUnit.SECONDS);
                assertThat(storage.calls.get()).as("3 pages of 1,000").isEqualTo(3);
                assertThat(index.size()).isEqualTo(2_000);
                assertThat(index.match(List.of("clip", "1"), 10)).singleElement()
                        .satisfies(c -> assertThat(c.name()).isEqualTo("clip 1.mp4"));
                assertThat(index.match(List.of("5"), 10)).as("clip 5 is incomplete").isEmpty();
                assertThat(feed.storageDown()).isFalse();

                storage.contents.clear(); // everything deleted
                feed.refresh().get(10, TimeUnit.SECONDS);
                assertThat(index.size()).isZero();
            }
        }
    }

    @Test
    void whileStorageIsDownTheIndexIsEmptyAndItRefillsWhenStorageIsBack() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort(); // free now; nothing listens there
        }
        MetadataIndex index = new MetadataIndex();
        index.replaceAll(List.of(SearchPeerGrpcTest.content("stale.txt", "text/plain")));
        try (StorageIndexFeed feed = new StorageIndexFeed("127.0.0.1:" + port, index, timer, Duration.ofMillis(200))) {
            feed.refresh().get(10, TimeUnit.SECONDS);
            assertThat(feed.storageDown()).isTrue();
            assertThat(index.size()).isZero();

            try (FakeStorage storage = new FakeStorage(port)) {
                storage.contents.add(FakeStorage.summary(SearchPeerGrpcTest.content("back.txt", "text/plain"), true));
                feed.start(); // polls every 200 ms
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15))
                        .untilAsserted(() -> assertThat(index.size()).isEqualTo(1));
                assertThat(feed.storageDown()).isFalse();
            }
        }
    }
}
