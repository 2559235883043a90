package dev.p2psuite.relay;

import com.google.protobuf.ByteString;
import dev.p2psuite.proto.relay.v1.ConnectOpened;
import dev.p2psuite.relay.core.RelayTable;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pipes an open circuit's two ends into each other with end-to-end flow control and the circuit's budgets.
 *
 * <p>Per direction at most one frame is in the relay: a frame read from one end is handed to the other end's
 * transport, and the next frame is asked for ({@code request(1)}) only once that transport reports ready
 * ({@code isReady}, else on {@code onReady}). A slow reader therefore stops the relay reading from the writer, and
 * HTTP/2 flow control pushes back to the writer's own stream: nothing queues up in the relay (relay_peer.proto
 * {@code Connect}; the gateway's forwarder works the same way, so pacing is end to end across both hops).
 *
 * <p>Threads: each end's actions run on that end's own thread ({@link CircuitEnd#thread}); the "waiting" flag of
 * a direction lives on the receiving end's thread, where both its writer ({@code sendData}) and its reader
 * ({@code onReady}) run, so no lock is needed. Budget accounting is lock-free ({@code CircuitBudget}).
 */
final class Splice {

    private final RelayRuntime relay;
    final RelayTable.Circuit circuit;
    private final CircuitEnd initiator;
    private final CircuitEnd target;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger halfClosed = new AtomicInteger();

    Splice(RelayRuntime relay, RelayTable.Circuit circuit, CircuitEnd initiator, CircuitEnd target) {
        this.relay = relay;
        this.circuit = circuit;
        this.initiator = initiator;
        this.target = target;
    }

    /** Tells both ends the circuit is up and starts reading from both. */
    void start() {
        initiator.thread.execute(() -> initiator.joined(this, opened(target)));
        target.thread.execute(() -> target.joined(this, opened(initiator)));
    }

    private ConnectOpened opened(CircuitEnd peer) {
        return ConnectOpened.newBuilder()
                .setCircuitId(ByteString.copyFrom(circuit.id().bytes()))
                .setPeerNodeId(ByteString.copyFrom(peer.node.bytes()))
                .setMaxBytes(circuit.budget().maxBytes())
                .setMaxSeconds((int) Math.min(Integer.MAX_VALUE, circuit.budget().maxDuration().toSeconds()))
                .build();
    }

    private CircuitEnd other(CircuitEnd end) {
        return end == initiator ? target : initiator;
    }

    /** A frame from {@code from} (on its thread): counted, then handed to the other end. */
    void onData(CircuitEnd from, Frames.Data data) {
        if (closed.get()) {
            return;
        }
        if (!circuit.budget().tryConsume(data.length())) {
            Status over = Status.RESOURCE_EXHAUSTED.withDescription("circuit " + circuit.id().toHex()
                    + " used up its byte budget of " + circuit.budget().maxBytes() + " bytes (both directions summed, "
                    + "p2p.relay.circuit-max-bytes); open a new circuit or connect directly");
            close(over, over, RelayTable.CloseReason.OVER_BYTES);
            return;
        }
        CircuitEnd to = other(from);
        to.thread.execute(() -> {
            if (to.finished) {
                return;
            }
            to.sendData(data);
            if (to.isReady()) {
                from.thread.execute(from::requestNext);
            } else {
                to.sourceWaiting = true; // resumed by onReady(to)
            }
        });
    }

    /** {@code to}'s transport can take more (on its thread): let the other end's next frame come. */
    void onReady(CircuitEnd to) {
        if (to.sourceWaiting && !to.finished) {
            to.sourceWaiting = false;
            CircuitEnd from = other(to);
            from.thread.execute(from::requestNext);
        }
    }

    /** {@code from} half-closed (on its thread): passed on after its last frame; both half-closed ends the circuit. */
    void onHalfClose(CircuitEnd from) {
        CircuitEnd to = other(from);
        to.thread.execute(() -> {
            if (!to.finished) {
                to.sendHalfClose();
            }
            if (halfClosed.incrementAndGet() == 2) {
                close(Status.OK, Status.OK, RelayTable.CloseReason.NORMAL);
            }
        });
    }

    /** {@code from}'s call ended without a half-close (cancelled, failed): the other end is told why. */
    void onGone(CircuitEnd from, String why) {
        Status gone = Status.CANCELLED.withDescription("the other end of circuit " + circuit.id().toHex() + " (node "
                + from.node.toHex() + ") " + why);
        if (from == initiator) {
            close(Status.CANCELLED, gone, RelayTable.CloseReason.CANCELLED);
        } else {
            close(gone, Status.CANCELLED, RelayTable.CloseReason.CANCELLED);
        }
    }

    /** {@code from} broke the protocol: it gets {@code status}, the other end is told. */
    void abort(CircuitEnd from, Status status) {
        Status other = Status.CANCELLED.withDescription("the other end of circuit " + circuit.id().toHex()
                + " sent an invalid frame: " + status.getDescription());
        if (from == initiator) {
            close(status, other, RelayTable.CloseReason.FAILED);
        } else {
            close(other, status, RelayTable.CloseReason.FAILED);
        }
    }

    /** Closes both ends once, each with its status (after the frames already handed to it). */
    void close(Status toInitiator, Status toTarget, RelayTable.CloseReason reason) {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        relay.circuitClosed(this, reason);
        initiator.thread.execute(() -> initiator.finish(toInitiator));
        target.thread.execute(() -> target.finish(toTarget));
    }

    boolean isClosed() {
        return closed.get();
    }
}
