package dev.p2psuite.dht.search;

import dev.p2psuite.grpc.GrpcChannels;
import dev.p2psuite.grpc.GrpcFutures;
import dev.p2psuite.proto.storage.v1.ContentSummary;
import dev.p2psuite.proto.storage.v1.ListContentRequest;
import dev.p2psuite.proto.storage.v1.ListContentResponse;
import dev.p2psuite.proto.storage.v1.StorageInternalGrpc;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Keeps the {@link MetadataIndex} equal to the complete contents of the node's storage-service: pages through
 * {@code StorageInternal/ListContent} every interval and on demand. While storage does not answer the index is
 * empty (nothing could be served anyway); that is logged once per outage, not on every poll.
 */
final class StorageIndexFeed implements AutoCloseable {

    /** ListContent page size asked (the most storage_internal.proto allows). */
    static final int PAGE_SIZE = 1_000;
    /** Contents indexed at most (about 30 MB of metadata); beyond it the rest is left out and logged. */
    static final int MAX_INDEXED = 100_000;
    /** Deadline of one ListContent page. */
    static final long PAGE_TIMEOUT_MS = 3_000;

    private static final Logger LOG = Logger.getLogger(StorageIndexFeed.class);

    private final String address;
    private final ManagedChannel channel;
    private final MetadataIndex index;
    private final ScheduledExecutorService timer;
    private final Duration interval;
    private CompletableFuture<Void> running;
    private ScheduledFuture<?> poll;
    private volatile boolean down;
    private volatile boolean everUp;
    private volatile boolean truncatedLogged;

    StorageIndexFeed(String address, MetadataIndex index, ScheduledExecutorService timer, Duration interval) {
        this.address = address;
        this.channel = GrpcChannels.open(address);
        this.index = index;
        this.timer = timer;
        this.interval = interval;
    }

    /** Polls every interval from now on. */
    synchronized void start() {
        if (poll == null) {
            long every = Math.max(1, interval.toMillis());
            poll = timer.scheduleWithFixedDelay(this::refresh, 0, every, TimeUnit.MILLISECONDS);
        }
    }

    /** Reloads the index; joins a reload already running. Never fails: a storage failure empties the index. */
    synchronized CompletableFuture<Void> refresh() {
        if (running != null && !running.isDone()) {
            return running;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        running = done;
        page("", new ArrayList<>(), done);
        return done;
    }

    private void page(String token, List<IndexedContent> acc, CompletableFuture<Void> done) {
        ListContentRequest request = ListContentRequest.newBuilder().setPageSize(PAGE_SIZE).setPageToken(token).build();
        GrpcFutures.unary(channel, StorageInternalGrpc.getListContentMethod(),
                        CallOptions.DEFAULT.withDeadlineAfter(PAGE_TIMEOUT_MS, TimeUnit.MILLISECONDS), request)
                .whenComplete((response, failure) -> {
                    if (failure != null) {
                        failed(failure);
                        done.complete(null);
                        return;
                    }
                    if (collect(response, acc) && !response.getNextPageToken().isEmpty()) {
                        page(response.getNextPageToken(), acc, done);
                        return;
                    }
                    index.replaceAll(acc);
                    if (down || !everUp) {
                        LOG.infof("search index: %d complete contents from storage-service at %s", acc.size(), address);
                    }
                    down = false;
                    everUp = true;
                    done.complete(null);
                });
    }

    /** Adds a page's complete contents; false once the index is full. */
    private boolean collect(ListContentResponse response, List<IndexedContent> acc) {
        for (ContentSummary s : response.getItemsList()) {
            IndexedContent c = SearchWire.indexed(s);
            if (c == null) {
                continue;
            }
            if (acc.size() >= MAX_INDEXED) {
                if (!truncatedLogged) {
                    truncatedLogged = true;
                    LOG.warnf("search index: storage holds more than %d complete contents; only the first %d"
                            + " (by content ID) are searchable", MAX_INDEXED, MAX_INDEXED);
                }
                return false;
            }
            acc.add(c);
        }
        return true;
    }

    private void failed(Throwable failure) {
        index.replaceAll(List.of());
        if (!down) {
            down = true;
            String what = String.format("storage-service at %s does not answer ListContent (%s); search index empty,"
                    + " retrying every %d ms", address, failure.getMessage(), interval.toMillis());
            if (everUp) {
                LOG.warn(what);
            } else {
                LOG.info(what); // usual at startup, when storage-service starts after this service
            }
        }
    }

    boolean storageDown() {
        return down;
    }

    @Override
    public synchronized void close() {
        if (poll != null) {
            poll.cancel(false);
        }
        GrpcChannels.close(channel);
    }
}
