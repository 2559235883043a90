package dev.p2psuite.relay;

import dev.p2psuite.grpc.CallThread;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.p2psuite.proto.relay.v1.ConnectHalfClosed;
import dev.p2psuite.proto.relay.v1.ConnectOpened;
import dev.p2psuite.proto.relay.v1.ConnectRequest;
import dev.p2psuite.proto.relay.v1.ConnectResponse;
import dev.p2psuite.relay.core.CircuitId;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * One RelayPeer/Connect call: the first frame opens a circuit ({@code open}) or accepts one ({@code accept});
 * once both ends are joined it is a {@link CircuitEnd} of a {@link Splice}. Inbound flow control is manual: one
 * frame is asked for at a time, so frames wait in the caller's HTTP/2 stream, never here. Frames travel as raw
 * bytes ({@link Frames}): data frames are passed on without being parsed.
 */
final class ConnectCall extends CircuitEnd implements StreamObserver<byte[]> {

    /** relay_peer.proto: data frames carry 1..1,047,552 bytes (1 MiB minus 1 KiB of envelope). */
    static final int MAX_DATA_BYTES = 1_047_552;

    private enum State { FIRST, WAITING, JOINED, DONE }

    private final ServerCallStreamObserver<byte[]> out;
    private final RelayRuntime relay;
    final Caller caller;
    private State state = State.FIRST;
    private CircuitId pending;
    private boolean halfClosedEarly;
    private boolean gone;

    ConnectCall(StreamObserver<byte[]> responses, Caller caller, RelayRuntime relay) {
        super(CallThread.current(), caller.id());
        this.out = (ServerCallStreamObserver<byte[]>) responses;
        this.caller = caller;
        this.relay = relay;
        out.disableAutoRequest();
        out.setOnReadyHandler(() -> thread.execute(() -> {
            if (splice != null) {
                splice.onReady(this);
            }
        }));
        out.setOnCancelHandler(() -> thread.execute(() -> left("cancelled the call")));
        out.request(1);
    }

    @Override
    public void onNext(byte[] frame) {
        thread.execute(() -> handle(frame));
    }

    private void handle(byte[] bytes) {
        if (state == State.JOINED) {
            Frames.Data data = Frames.requestToResponse(bytes, MAX_DATA_BYTES); // the bulk path: no parsing
            if (data != null) {
                splice.onData(this, data);
                return;
            }
        } else if (state != State.FIRST) {
            return; // WAITING asks for nothing and DONE is over: a frame here is a late one, dropped
        }
        ConnectRequest frame;
        try {
            frame = ConnectRequest.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            Status bad = Status.INVALID_ARGUMENT.withDescription("not a ConnectRequest: " + e.getMessage());
            if (state == State.JOINED) {
                splice.abort(this, bad);
            } else {
                finish(bad);
            }
            return;
        }
        switch (state) {
            case FIRST -> {
                state = State.WAITING;
                switch (frame.getFrameCase()) {
                    case OPEN -> relay.open(this, frame.getOpen());
                    case ACCEPT -> relay.accept(this, frame.getAccept());
                    default -> finish(Status.INVALID_ARGUMENT.withDescription("the first Connect frame must be open "
                            + "(initiator) or accept (reserving node), got " + frame.getFrameCase()));
                }
            }
            case JOINED -> {
                if (frame.getFrameCase() != ConnectRequest.FrameCase.DATA) {
                    splice.abort(this, Status.INVALID_ARGUMENT.withDescription("frame out of order: after the first "
                            + "frame only data frames may follow, got " + frame.getFrameCase()));
                } else if (frame.getData().isEmpty() || frame.getData().size() > MAX_DATA_BYTES) {
                    splice.abort(this, Status.INVALID_ARGUMENT.withDescription("a data frame carries 1.."
                            + MAX_DATA_BYTES + " bytes, got " + frame.getData().size()));
                } else { // a data frame in another encoding (e.g. with unknown fields): re-encoded
                    splice.onData(this, Frames.responseData(frame.getData().toByteArray(), 0, frame.getData().size()));
                }
            }
            default -> {
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        thread.execute(() -> left("cancelled the call"));
    }

    @Override
    public void onCompleted() {
        thread.execute(() -> {
            switch (state) {
                case FIRST -> finish(Status.INVALID_ARGUMENT.withDescription("Connect was half-closed before its "
                        + "first frame (open or accept)"));
                case WAITING -> halfClosedEarly = true;
                case JOINED -> splice.onHalfClose(this);
                default -> {
                }
            }
        });
    }

    /** The caller went away (on the call's thread). */
    private void left(String why) {
        if (gone) {
            return;
        }
        gone = true;
        if (state == State.JOINED) {
            splice.onGone(this, why);
        } else if (pending != null) {
            relay.abandon(pending, this);
        }
        finished = true;
        state = State.DONE;
    }

    /** Waiting for the target's accept (initiator) under {@code id}. */
    void pending(CircuitId id) {
        this.pending = id;
    }

    boolean isGone() {
        return gone || finished;
    }

    @Override
    void joined(Splice joinedTo, ConnectOpened opened) {
        splice = joinedTo;
        if (gone || finished) {
            splice.onGone(this, "left before the circuit opened");
            return;
        }
        state = State.JOINED;
        out.onNext(ConnectResponse.newBuilder().setOpened(opened).build().toByteArray());
        requestNext();
        if (halfClosedEarly) {
            splice.onHalfClose(this);
        }
    }

    @Override
    void sendData(Frames.Data data) {
        out.onNext(data.bytes());
    }

    @Override
    void sendHalfClose() {
        out.onNext(ConnectResponse.newBuilder().setHalfClosed(ConnectHalfClosed.getDefaultInstance()).build()
                .toByteArray());
    }

    @Override
    boolean isReady() {
        return out.isReady();
    }

    @Override
    void requestNext() {
        if (!finished && !gone) {
            out.request(1);
        }
    }

    @Override
    void finish(Status status) {
        if (finished) {
            return;
        }
        finished = true;
        state = State.DONE;
        if (gone) {
            return;
        }
        try {
            if (status.isOk()) {
                out.onCompleted();
            } else {
                out.onError(status.asRuntimeException());
            }
        } catch (IllegalStateException e) {
            // the call ended meanwhile (cancelled by the client): nothing to tell it
        }
    }
}
