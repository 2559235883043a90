package dev.p2psuite.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.common.v1.ByteRange;
import dev.p2psuite.proto.storage.v1.FetchResponse;
import dev.p2psuite.proto.storage.v1.FetchState;
import dev.p2psuite.storage.core.Choker;
import dev.p2psuite.storage.core.ContentId;
import dev.p2psuite.storage.core.Manifest;
import dev.p2psuite.storage.core.PiecePicker;
import dev.p2psuite.storage.store.MemoryPieceStore;
import dev.p2psuite.storage.store.StoredContent;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The download engine against fake providers: several peers, liars, dying peers, resume. No gRPC, no Infinispan. */
class DownloadTest {

    static final int PIECE = Manifest.PIECE_SIZE;

    final MemoryPieceStore store = new MemoryPieceStore();
    final ContentStore contents = new ContentStore(store, 4, InstantSource.system());
    final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    final java.util.concurrent.ExecutorService io = Executors.newFixedThreadPool(4);
    final Exchange exchange = new Exchange(Choker.Config.DEFAULT, 0, 0, 2, InstantSource.system(),
            new SplittableRandom(1), timer, Duration.ofSeconds(1), () -> true);
    final Download.Settings settings = new Download.Settings(Duration.ofSeconds(2), 8, 3, Duration.ofSeconds(3),
            Duration.ofMillis(100), Duration.ofMillis(50), PiecePicker.Config.DEFAULT);

    @AfterEach
    void stop() {
        timer.shutdownNow();
        io.shutdownNow();
    }

    static byte[] content(int pieces, long seed) {
        byte[] b = new byte[pieces * PIECE - 1234];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** A Fetch as seen by its caller. */
    static final class Watcher implements Download.Sink {
        final List<FetchResponse> progress = new CopyOnWriteArrayList<>();
        final CompletableFuture<Status> end = new CompletableFuture<>();

        @Override
        public void progress(FetchResponse response) {
            progress.add(response);
        }

        @Override
        public void end(Status status) {
            end.complete(status);
        }

        Status await() throws Exception {
            return end.get(30, TimeUnit.SECONDS);
        }

        FetchResponse last() {
            return progress.get(progress.size() - 1);
        }
    }

    Watcher fetch(Fetches fetches, ContentId id, ByteRange range, boolean manifestOnly, FakeProvider... providers) {
        Watcher w = new Watcher();
        List<SignedPeerRecord> records = Stream.of(providers).map(p -> p.record).toList();
        fetches.attach(id, new Download.Subscriber(w, range, manifestOnly), records);
        return w;
    }

    Fetches fetches(FakeProvider... providers) {
        return new Fetches(contents, exchange, new FakeProvider.Connector(providers), settings, io, timer);
    }

    byte[] stored(ContentId id) {
        StoredContent c = contents.require(id);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < c.manifest().pieceCount(); i++) {
            out.writeBytes(contents.piece(c, i));
        }
        return out.toByteArray();
    }

    @Test
    void downloadsFromSeveralProvidersAtOnceAndVerifiesEveryPiece() throws Exception {
        byte[] data = content(48, 1);
        FakeProvider a = new FakeProvider(data);
        FakeProvider b = new FakeProvider(data);
        FakeProvider c = new FakeProvider(data);
        Stream.of(a, b, c).forEach(p -> p.delayMs = 2);
        ContentId id = a.manifest.contentId();
        Watcher w = fetch(fetches(a, b, c), id, null, false, a, b, c);
        assertThat(w.await().getCode()).isEqualTo(Status.Code.OK);
        assertThat(stored(id)).isEqualTo(data);
        assertThat(w.progress.get(0).getState()).isEqualTo(FetchState.FETCH_STATE_MANIFEST);
        assertThat(w.progress.stream().filter(FetchResponse::hasManifest).findFirst().orElseThrow().getState())
                .isIn(FetchState.FETCH_STATE_DOWNLOADING, FetchState.FETCH_STATE_ENDGAME);
        assertThat(w.last().getState()).isEqualTo(FetchState.FETCH_STATE_COMPLETE);
        assertThat(w.last().getPiecesDone()).isEqualTo(48);
        assertThat(w.last().getBytesDone()).isEqualTo(data.length);
        // Several peers at once: each of the three served a share.
        assertThat(List.of(a.served.get(), b.served.get(), c.served.get())).allSatisfy(n -> assertThat(n).isPositive());
        assertThat(exchange.totalReceived()).isGreaterThanOrEqualTo(data.length); // endgame copies count too
        System.out.println("three providers: served " + a.served + "/" + b.served + "/" + c.served + " pieces for 48");
    }

    @Test
    void aStreamingReaderBoundsHowFarTheDownloadRunsAheadOfIt() throws Exception {
        int ahead = Download.READ_AHEAD_PIECES;
        byte[] data = content(ahead + 20, 12);
        FakeProvider seed = new FakeProvider(data);
        ContentId id = seed.manifest.contentId();
        Fetches fetches = fetches(seed);
        Watcher w = fetch(fetches, id, null, false, seed);
        Object reader = new Object();
        fetches.readerAt(id, reader, 0); // waits for piece 0, before any piece is picked
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> seed.served.get() == ahead);
        Thread.sleep(1200); // longer than STALL_REPORT_NANOS
        assertThat(seed.served.get()).as("nothing past the reader's read-ahead").isEqualTo(ahead);
        assertThat(w.last().getState()).as("waiting for the reader is not a stall")
                .isEqualTo(FetchState.FETCH_STATE_DOWNLOADING);
        fetches.readerAt(id, reader, 10);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> seed.served.get() == ahead + 10);
        fetches.readerGone(id, reader); // the reader ended: the rest comes at once
        assertThat(w.await().getCode()).isEqualTo(Status.Code.OK);
        assertThat(stored(id)).isEqualTo(data);
    }

    @Test
    void aSeedGetsTheDeepPipelineUnlessADownloadLimitBoundsTheRate() throws Exception {
        Download.Settings deepSeeds = new Download.Settings(Duration.ofSeconds(2), 8, 3, Duration.ofSeconds(3),
                Duration.ofMillis(100), Duration.ofMillis(50), PiecePicker.Config.DEFAULT, 32);
        FakeProvider seed = new FakeProvider(content(40, 13));
        Fetches unlimited = new Fetches(contents, exchange, new FakeProvider.Connector(seed), deepSeeds, io, timer);
        assertThat(fetch(unlimited, seed.manifest.contentId(), null, false, seed).await().getCode())
                .isEqualTo(Status.Code.OK);
        assertThat(seed.callSizes.get(0)).isEqualTo(32);

        Exchange limited = new Exchange(Choker.Config.DEFAULT, 0, 64L << 20, 2, InstantSource.system(),
                new SplittableRandom(1), timer, Duration.ofSeconds(1), () -> true);
        FakeProvider other = new FakeProvider(content(40, 14));
        Fetches underLimit = new Fetches(contents, limited, new FakeProvider.Connector(other), deepSeeds, io, timer);
        assertThat(fetch(underLimit, other.manifest.contentId(), null, false, other).await().getCode())
                .isEqualTo(Status.Code.OK);
        assertThat(other.callSizes.get(0)).isEqualTo(PiecePicker.DEFAULT_PIPELINE_DEPTH);
    }

    @Test
    void aPeerServingCorruptedBytesIsRejectedFetchedElsewhereAndBanned() throws Exception {
        byte[] data = content(24, 2);
        FakeProvider liar = new FakeProvider(data);
        liar.corrupt = true;
        FakeProvider honest = new FakeProvider(data);
        honest.delayMs = 20; // slower than the liar, so the liar surely gets requests
        ContentId id = honest.manifest.contentId();
        Watcher w = fetch(fetches(liar, honest), id, null, false, liar, honest);
        assertThat(w.await().getCode()).isEqualTo(Status.Code.OK);
        assertThat(stored(id)).isEqualTo(data);
        assertThat(exchange.penalties().badPieces(liar.nodeId())).as("bad pieces of the liar, which served %d", liar.served.get()).isGreaterThanOrEqualTo(2);
        assertThat(exchange.penalties().isBanned(liar.nodeId())).isTrue();
        assertThat(exchange.penalties().isBanned(honest.nodeId())).isFalse();
        assertThat(w.last().getPiecesRejected()).isGreaterThanOrEqualTo(2);
        assertThat(liar.served.get()).isLessThanOrEqualTo(2 + settings.picker().pipelineDepth());
    }

    @Test
    void aPeerDyingMidTransferDoesNotStopTheDownload() throws Exception {
        byte[] data = content(40, 3);
        FakeProvider dying = new FakeProvider(data);
        dying.dieAfter = 6;
        FakeProvider steady = new FakeProvider(data);
        steady.delayMs = 3;
        ContentId id = steady.manifest.contentId();
        Watcher w = fetch(fetches(dying, steady), id, null, false, dying, steady);
        assertThat(w.await().getCode()).isEqualTo(Status.Code.OK);
        assertThat(stored(id)).isEqualTo(data);
        // Each of its streams racing its death may finish the piece it was making: at most one per request in flight.
        assertThat(dying.served.get()).isBetween(6, 6 + dev.p2psuite.storage.core.PiecePicker.DEFAULT_PIPELINE_DEPTH - 1);
    }

    @Test
    void whenEveryProviderIsGoneTheFetchFailsClearlyKeepsItsPiecesAndResumesWhenOneReturns() throws Exception {
        byte[] data = content(30, 4);
        FakeProvider only = new FakeProvider(data);
        only.dieAfter = 10;
        ContentId id = only.manifest.contentId();
        Fetches fetches = fetches(only);
        Watcher first = fetch(fetches, id, null, false, only);
        Status failed = first.await();
        assertThat(failed.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(failed.getDescription()).contains("every provider failed").contains("a later Fetch resumes");
        int kept = contents.held(contents.require(id)).cardinality();
        assertThat(kept).isGreaterThanOrEqualTo(10);
        assertThat(fetches.isFetching(id)).isFalse();

        only.alive = true; // it comes back
        only.dieAfter = -1;
        only.served.set(0);
        Watcher second = fetch(fetches, id, null, false, only);
        assertThat(second.await().getCode()).isEqualTo(Status.Code.OK);
        assertThat(stored(id)).isEqualTo(data);
        assertThat(only.served.get()).isEqualTo(30 - kept); // only what was missing
        assertThat(second.progress.stream().filter(FetchResponse::hasManifest).findFirst().orElseThrow()
                .getPiecesDone()).isEqualTo(kept);
    }

    @Test
    void noProviderWithTheManifestIsNotFound() throws Exception {
        byte[] data = content(3, 5);
        FakeProvider a = new FakeProvider(data);
        FakeProvider b = new FakeProvider(data);
        a.knowsContent = false;
        b.knowsContent = false;
        Watcher w = fetch(fetches(a, b), a.manifest.contentId(), null, false, a, b);
        Status s = w.await();
        assertThat(s.getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(s.getDescription()).contains("no provider has the manifest");
    }

    @Test
    void aForgedManifestIsRejectedAndTheTrueOneTakenFromAnotherProvider() throws Exception {
        byte[] data = content(5, 6);
        FakeProvider forger = new FakeProvider(data);
        forger.forgedManifest = StorageWire.toProto(new StoredContent(
                dev.p2psuite.storage.core.PieceHasher.manifestOf(content(5, 7)), new byte[0], 0));
        FakeProvider honest = new FakeProvider(data);
        ContentId id = honest.manifest.contentId();
        Watcher w = fetch(fetches(forger, honest), id, null, false, forger, honest);
        assertThat(w.await().getCode()).isEqualTo(Status.Code.OK);
        assertThat(stored(id)).isEqualTo(data);
        assertThat(exchange.penalties().badPieces(forger.nodeId())).isLessThanOrEqualTo(1); // if it was asked first
    }

    @Test
    void aManifestThatDoesNotMatchTheIdIsNeverStoredAndItsSenderIsPenalised() throws Exception {
        byte[] data = content(5, 12);
        FakeProvider forger = new FakeProvider(data);
        forger.forgedManifest = StorageWire.toProto(new StoredContent(
                dev.p2psuite.storage.core.PieceHasher.manifestOf(content(5, 13)), new byte[0], 0));
        ContentId id = forger.manifest.contentId();
        Watcher w = fetch(fetches(forger), id, null, false, forger);
        Status s = w.await();
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains("does not verify");
        assertThat(contents.content(id)).isEmpty();
        assertThat(exchange.penalties().badPieces(forger.nodeId())).isEqualTo(1);
    }

    @Test
    void aRangeFetchDownloadsOnlyThePiecesCoveringTheRange() throws Exception {
        byte[] data = content(20, 8);
        FakeProvider p = new FakeProvider(data);
        ContentId id = p.manifest.contentId();
        ByteRange range = ByteRange.newBuilder().setOffset(3L * PIECE + 10).setLength(2L * PIECE).build();
        Watcher w = fetch(fetches(p), id, range, false, p);
        assertThat(w.await().getCode()).isEqualTo(Status.Code.OK);
        assertThat(w.last().getPiecesTotal()).isEqualTo(3);
        assertThat(p.served.get()).isEqualTo(3);
        var held = contents.held(contents.require(id));
        assertThat(held.toIndexes()).containsExactly(3, 4, 5);
    }

    @Test
    void aManifestOnlyFetchStoresTheManifestAndNoPieces() throws Exception {
        byte[] data = content(4, 9);
        FakeProvider p = new FakeProvider(data);
        ContentId id = p.manifest.contentId();
        Watcher w = fetch(fetches(p), id, null, true, p);
        assertThat(w.await().getCode()).isEqualTo(Status.Code.OK);
        assertThat(w.last().getState()).isEqualTo(FetchState.FETCH_STATE_COMPLETE);
        assertThat(w.last().hasManifest()).isTrue();
        assertThat(contents.require(id).manifest()).isEqualTo(p.manifest);
        assertThat(p.served.get()).isZero();
        assertThat(store.pieceCount()).isZero();
    }

    @Test
    void aChokingProviderIsWaitedForNotDropped() throws Exception {
        byte[] data = content(6, 10);
        FakeProvider p = new FakeProvider(data);
        p.choking = true;
        ContentId id = p.manifest.contentId();
        Watcher w = fetch(fetches(p), id, null, false, p);
        Thread.sleep(1500);
        assertThat(w.end).isNotDone();
        assertThat(w.last().getState()).isEqualTo(FetchState.FETCH_STATE_STALLED);
        p.unchoke();
        assertThat(w.await().getCode()).isEqualTo(Status.Code.OK);
        assertThat(stored(id)).isEqualTo(data);
    }

    @Test
    void aSecondFetchOfTheSameContentJoinsTheRunningDownload() throws Exception {
        byte[] data = content(30, 11);
        FakeProvider p = new FakeProvider(data);
        p.delayMs = 5;
        ContentId id = p.manifest.contentId();
        Fetches fetches = fetches(p);
        Watcher one = fetch(fetches, id, null, false, p);
        Watcher two = fetch(fetches, id, null, false, p);
        assertThat(one.await().getCode()).isEqualTo(Status.Code.OK);
        assertThat(two.await().getCode()).isEqualTo(Status.Code.OK);
        assertThat(p.served.get()).isEqualTo(30); // downloaded once
        assertThat(Arrays.equals(stored(id), data)).isTrue();
    }
}
