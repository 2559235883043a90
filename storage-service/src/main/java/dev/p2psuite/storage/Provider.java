package dev.p2psuite.storage;

import dev.p2psuite.identity.NodeId;
import dev.p2psuite.identity.SignedPeerRecord;
import dev.p2psuite.proto.common.v1.Manifest;
import dev.p2psuite.proto.storage.v1.PieceResponse;
import dev.p2psuite.proto.storage.v1.WatchChokeResponse;
import dev.p2psuite.storage.core.Bitfield;
import dev.p2psuite.storage.core.ContentId;
import java.util.concurrent.CompletableFuture;

/**
 * One remote node's PiecePeer as a download uses it (an authenticated session through its gateway). Behind an
 * interface so tests can plug in lying, slow, choking or dying peers (DESIGN.md 3.4).
 */
interface Provider {

    NodeId id();

    /** GetManifest; completes exceptionally with the call's StatusRuntimeException. */
    CompletableFuture<Manifest> manifest(ContentId id);

    /** Opens WatchChoke (declares interest); events arrive in order, then one {@code onEnd}. */
    Cancellable watch(ContentId id, Events<WatchChokeResponse> events);

    /**
     * RequestPieces; one answer per index, then one {@code onEnd} (null = OK). {@code have} (may be null) is sent as the
     * caller's bitfield, so the provider sees its pieces passed on (tit-for-tat).
     */
    Cancellable requestPieces(ContentId id, int[] indexes, Bitfield have, Events<PieceResponse> answers);

    /** A stream's callbacks; may run on any thread, one at a time. */
    interface Events<T> {
        void onNext(T value);

        /** The stream ended: null when it completed normally, else the failure. */
        void onEnd(Throwable error);
    }

    /** Stops a stream; its {@code onEnd} may still be called (with a CANCELLED status). */
    interface Cancellable {
        void cancel();
    }

    /** Turns a provider's signed record into a session with it. */
    interface Connector extends AutoCloseable {
        /** Connects and authenticates (or reuses a live session); fails with the reason. */
        CompletableFuture<Provider> connect(SignedPeerRecord record);

        /** This node's ID if known (a node never downloads from itself); null before the first connect. */
        NodeId self();

        @Override
        void close();
    }
}
