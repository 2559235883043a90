package dev.p2psuite.relay;

import dev.p2psuite.grpc.CallThread;
import dev.p2psuite.identity.NodeId;
import dev.p2psuite.proto.relay.v1.ConnectOpened;
import io.grpc.Status;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * The target end of a TURN-style circuit ({@code ConnectOpen.target_host}): a TCP connection the relay opened to the
 * target node's gateway, read one buffer at a time ({@code fetch(1)}, like {@code request(1)} on a call) and
 * written only as fast as the socket drains. Created on the socket's own thread.
 */
final class SocketEnd extends CircuitEnd {

    private final NetSocket socket;
    /** The socket ended (or failed) before the circuit was joined. */
    private Status endedEarly;

    SocketEnd(NodeId target, NetSocket socket) {
        super(CallThread.current(), target);
        this.socket = socket;
        socket.pause();
        socket.handler(buffer -> thread.execute(() -> {
            if (splice != null && !finished && buffer.length() > 0) {
                Frames.Data frame = Frames.responseFrame(buffer.length());
                buffer.getBytes(frame.bytes(), frame.offset());
                splice.onData(this, frame);
            }
        }));
        socket.drainHandler(v -> thread.execute(() -> {
            if (splice != null) {
                splice.onReady(this);
            }
        }));
        // Vert.x closes a socket whose peer half-closed; its end handler comes after the data still buffered (the
        // close handler would come at once), so the end of input ends the circuit once everything is passed on.
        socket.endHandler(v -> thread.execute(() -> ended(Status.OK)));

        socket.exceptionHandler(e -> thread.execute(() -> ended(Status.UNAVAILABLE.withDescription(
                "the connection from the relay to node " + target.toHex() + " failed: " + e))));
    }

    private void ended(Status status) {
        if (finished) {
            return;
        }
        if (splice == null) {
            endedEarly = status;
        } else if (status.isOk()) {
            splice.close(Status.OK, Status.OK, dev.p2psuite.relay.core.RelayTable.CloseReason.NORMAL);
        } else {
            splice.close(status, Status.CANCELLED, dev.p2psuite.relay.core.RelayTable.CloseReason.FAILED);
        }
    }

    @Override
    void joined(Splice joinedTo, ConnectOpened opened) {
        splice = joinedTo;
        if (endedEarly != null) { // only a failure can come before the join: the end waits behind the paused input
            ended(endedEarly);
            return;
        }
        requestNext();
    }

    @Override
    void sendData(Frames.Data data) {
        socket.write(Buffer.buffer(data.length()).appendBytes(data.bytes(), data.offset(), data.length()));
    }

    @Override
    void sendHalfClose() {
        // A Vert.x socket cannot half-close: the initiator's half-close ends the connection once written.
        socket.end();
    }

    @Override
    boolean isReady() {
        return !socket.writeQueueFull();
    }

    @Override
    void requestNext() {
        if (!finished) {
            socket.fetch(1);
        }
    }

    @Override
    void finish(Status status) {
        if (finished) {
            return;
        }
        finished = true;
        socket.close();
    }
}
