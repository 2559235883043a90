package dev.p2psuite.relay;

import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.relay.v1.ConnectOpened;
import io.grpc.Status;
import java.util.concurrent.Executor;

/**
 * One end of a circuit: a node's Connect call, or a TCP socket to a node dialled at its address. Every method is
 * called on {@link #thread}; the fields are confined to it.
 */
abstract class CircuitEnd {

    /** The end's own thread (its call's event loop). */
    final Executor thread;
    /** The node at this end. */
    final NodeId node;
    /** Set on join. */
    Splice splice;
    /** A frame from the other end was handed to this end while it could not take more: ask for the next when ready. */
    boolean sourceWaiting;
    /** Closed (or cancelled): nothing more is sent. */
    boolean finished;

    CircuitEnd(Executor thread, NodeId node) {
        this.thread = thread;
        this.node = node;
    }

    /** The circuit is up: tell this end, then ask for its first frame. */
    abstract void joined(Splice splice, ConnectOpened opened);

    /** Passes on a data frame from the other end (already a ConnectResponse frame). */
    abstract void sendData(Frames.Data data);

    /** The other end will send nothing more. */
    abstract void sendHalfClose();

    /** Whether this end's transport can take another frame without queueing. */
    abstract boolean isReady();

    /** Asks this end for its next frame. */
    abstract void requestNext();

    /** Ends this end with {@code status} (OK, or why the circuit ended), once. */
    abstract void finish(Status status);
}
